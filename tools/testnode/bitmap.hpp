// A set of internal document ids as a plain bit vector. The test node's ids
// are dense (freed ids are reused), so a bit vector over [0, capacity) is both
// the simplest and the fastest set representation for filters and candidates.
//
// Not thread-safe for writes; const methods may run concurrently.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace miroir::testnode {

class Bitmap {
 public:
  Bitmap() = default;
  // An empty set able to hold ids below `capacity`.
  explicit Bitmap(size_t capacity) : words_((capacity + 63) / 64, 0) {}

  size_t capacity() const { return words_.size() * 64; }
  // Grows (never shrinks) the id range; new ids are absent.
  void Reserve(size_t capacity) {
    if ((capacity + 63) / 64 > words_.size()) words_.resize((capacity + 63) / 64, 0);
  }

  void Set(uint32_t id) {
    Reserve(static_cast<size_t>(id) + 1);
    words_[id >> 6] |= uint64_t{1} << (id & 63);
  }
  void Reset(uint32_t id) {
    if ((id >> 6) < words_.size()) words_[id >> 6] &= ~(uint64_t{1} << (id & 63));
  }
  bool Test(uint32_t id) const {
    return (id >> 6) < words_.size() && (words_[id >> 6] >> (id & 63) & 1);
  }
  void Clear() { std::fill(words_.begin(), words_.end(), 0); }

  size_t Count() const {
    size_t n = 0;
    for (uint64_t w : words_) n += static_cast<size_t>(std::popcount(w));
    return n;
  }
  bool Empty() const {
    for (uint64_t w : words_) {
      if (w) return false;
    }
    return true;
  }

  Bitmap& operator&=(const Bitmap& other) {
    for (size_t i = 0; i < words_.size(); ++i) {
      words_[i] &= i < other.words_.size() ? other.words_[i] : 0;
    }
    return *this;
  }
  Bitmap& operator|=(const Bitmap& other) {
    Reserve(other.capacity());
    for (size_t i = 0; i < other.words_.size(); ++i) words_[i] |= other.words_[i];
    return *this;
  }
  // Removes the ids of `other`.
  Bitmap& operator-=(const Bitmap& other) {
    size_t n = std::min(words_.size(), other.words_.size());
    for (size_t i = 0; i < n; ++i) words_[i] &= ~other.words_[i];
    return *this;
  }

  // Calls fn(uint32_t id) for each id, ascending; stops early when fn
  // returns false (fn may also return void).
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < words_.size(); ++i) {
      uint64_t w = words_[i];
      while (w) {
        uint32_t id = static_cast<uint32_t>(i * 64 + static_cast<size_t>(std::countr_zero(w)));
        w &= w - 1;
        if constexpr (std::is_same_v<decltype(fn(id)), bool>) {
          if (!fn(id)) return;
        } else {
          fn(id);
        }
      }
    }
  }

 private:
  std::vector<uint64_t> words_;
};

}  // namespace miroir::testnode
