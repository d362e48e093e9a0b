// The Miroir process: builds every component from a Config, serves until
// asked to stop, then shuts down in order (stop accepting, drain requests,
// stop workers, close the store).
#pragma once

#include <memory>

#include "miroir/app/config.hpp"
#include "miroir/core/error.hpp"

namespace miroir::app {

class Application {
 public:
  // Opens the store, seeds or loads the topology, and starts listening.
  // Errors name what failed (a bad store path, a port in use, ...).
  static Result<std::unique_ptr<Application>> Start(const Config& config);
  ~Application();

  uint16_t port() const;
  // Blocks until Stop() is called from another thread.
  void Wait();
  void Stop();

 private:
  struct Impl;
  explicit Application(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace miroir::app
