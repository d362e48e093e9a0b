// The test node's durability: an append-only log of JSON records, one per
// line. A record is written (to the kernel) before the request that caused it
// is acknowledged, so whatever a client saw acknowledged survives kill -9.
//
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "miroir/core/error.hpp"

namespace miroir::testnode {

class Journal {
 public:
  // Opens (creating if needed) <dir>/journal.ndjson.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Calls fn for every complete record in order. A torn last line (the
  // process died mid-write) is dropped and truncated away.
  Result<void> Replay(const std::function<void(const nlohmann::ordered_json&)>& fn);

  // Appends one record; returns once the bytes are in the kernel.
  Result<void> Append(const nlohmann::ordered_json& record);

 private:
  Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  std::mutex mu_;
};

}  // namespace miroir::testnode
