// The word index behind the test node's keyword search: each normalized word
// maps to its postings (document, searchable attribute rank, word position),
// sorted by document then attribute then position, so a query word's matches
// in a document are one contiguous run. Words are also kept in order for
// prefix lookups.
//
// Updates come in batches: Add/Remove any number of documents, then Commit()
// to restore the sort order of the touched lists. Reads are valid only after
// Commit().
//
// Not thread-safe for writes; const methods may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitmap.hpp"

namespace miroir::testnode {

struct Posting {
  uint32_t doc;
  uint16_t attr;  // rank of the searchable attribute (0 is the most important)
  // (word position in the attribute << 1) | (1 if the last word of its value),
  // so postings sort by position and whole-value matches need no lookup.
  uint16_t pos;

  uint16_t position() const { return pos >> 1; }
  bool last() const { return pos & 1; }
};

inline bool operator<(const Posting& a, const Posting& b) {
  if (a.doc != b.doc) return a.doc < b.doc;
  if (a.attr != b.attr) return a.attr < b.attr;
  return a.pos < b.pos;
}

class InvertedIndex {
 public:
  using PostingList = std::vector<Posting>;
  // Maps a flattened field name ("a.b") to its searchable attribute rank,
  // or -1 when the field is not searchable.
  using AttributeOf = std::function<int(const std::string& field)>;

  InvertedIndex() = default;
  // Moves keep the lookup table valid (map nodes do not move); copies would not.
  InvertedIndex(const InvertedIndex&) = delete;
  InvertedIndex& operator=(const InvertedIndex&) = delete;
  InvertedIndex(InvertedIndex&&) = default;
  InvertedIndex& operator=(InvertedIndex&&) = default;

  void Clear();

  // Indexes the words of every searchable string, number and boolean of `doc`.
  void Add(uint32_t doc, const nlohmann::ordered_json& value, const AttributeOf& attribute_of);
  // Drops the postings of the `removed` documents; `docs` are their current
  // contents (to find their words without scanning every list).
  void Remove(const Bitmap& removed, const std::vector<const nlohmann::ordered_json*>& docs,
              const AttributeOf& attribute_of);
  // Restores the order of the lists touched since the last Commit().
  void Commit();

  // The postings of `word`, or nullptr.
  const PostingList* Find(std::string_view word) const;
  // Calls fn(std::string_view word, const PostingList&) for each word starting
  // with `prefix`, in byte order.
  template <class Fn>
  void ForEachWithPrefix(std::string_view prefix, Fn&& fn) const {
    for (auto it = words_.lower_bound(prefix); it != words_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!it->second.empty()) fn(std::string_view(it->first), it->second);
    }
  }

 private:
  PostingList& ListFor(std::string_view word);
  // Calls fn(word, attr, encoded pos) for every word occurrence of `doc`.
  template <class Fn>
  void Tokenize(const nlohmann::ordered_json& doc, const AttributeOf& attribute_of, Fn&& fn);

  std::map<std::string, PostingList, std::less<>> words_;
  std::unordered_map<std::string_view, PostingList*> lookup_;  // keys view words_'s keys
  std::unordered_set<PostingList*> unsorted_;
};

}  // namespace miroir::testnode
