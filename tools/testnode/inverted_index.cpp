#include "inverted_index.hpp"

#include <algorithm>

#include "document_fields.hpp"
#include "text.hpp"

namespace miroir::testnode {
namespace {

using OJson = nlohmann::ordered_json;

// Gap left between two values of one attribute (array elements, nested
// fields) so that words of different values never look adjacent.
constexpr uint32_t kValueGap = 8;
constexpr uint32_t kMaxPosition = 32767;

std::string LeafText(const OJson& leaf) {
  if (leaf.is_string()) return leaf.get<std::string>();
  if (leaf.is_boolean()) return leaf.get<bool>() ? "true" : "false";
  return leaf.dump();
}

}  // namespace

void InvertedIndex::Clear() {
  words_.clear();
  lookup_.clear();
  unsorted_.clear();
}

InvertedIndex::PostingList& InvertedIndex::ListFor(std::string_view word) {
  auto it = lookup_.find(word);
  if (it != lookup_.end()) return *it->second;
  auto [pos, inserted] = words_.emplace(std::string(word), PostingList{});
  lookup_.emplace(std::string_view(pos->first), &pos->second);
  return pos->second;
}

template <class Fn>
void InvertedIndex::Tokenize(const OJson& doc, const AttributeOf& attribute_of, Fn&& fn) {
  struct Cursor {
    uint16_t attr;
    uint32_t next;
  };
  std::vector<Cursor> cursors;
  fields::ForEachLeaf(doc, [&](const std::string& name, const OJson& leaf) {
    int attr = attribute_of(name);
    if (attr < 0) return;
    auto cursor = std::find_if(cursors.begin(), cursors.end(),
                               [&](const Cursor& c) { return c.attr == attr; });
    if (cursor == cursors.end()) {
      cursors.push_back({static_cast<uint16_t>(attr), 0});
      cursor = cursors.end() - 1;
    } else {
      cursor->next += kValueGap;
    }
    std::string value = LeafText(leaf);
    // Each word is emitted when the next one is seen, to flag the last one.
    std::string pending;
    bool has_pending = false;
    auto emit = [&](bool last) {
      if (!has_pending || cursor->next > kMaxPosition) return;
      fn(std::string_view(pending), cursor->attr,
         static_cast<uint16_t>((cursor->next << 1) | (last ? 1 : 0)));
      ++cursor->next;
    };
    text::ForEachWord(value, [&](const text::Word& word) {
      emit(false);
      pending.assign(word.normalized);
      has_pending = true;
    });
    emit(true);
  });
}

void InvertedIndex::Add(uint32_t doc, const OJson& value, const AttributeOf& attribute_of) {
  Tokenize(value, attribute_of, [&](std::string_view word, uint16_t attr, uint16_t pos) {
    PostingList& list = ListFor(word);
    Posting p{doc, attr, pos};
    if (!list.empty() && p < list.back()) unsorted_.insert(&list);
    list.push_back(p);
  });
}

void InvertedIndex::Remove(const Bitmap& removed, const std::vector<const OJson*>& docs,
                           const AttributeOf& attribute_of) {
  std::unordered_set<PostingList*> touched;
  for (const OJson* doc : docs) {
    Tokenize(*doc, attribute_of, [&](std::string_view word, uint16_t, uint16_t) {
      auto it = lookup_.find(word);
      if (it != lookup_.end()) touched.insert(it->second);
    });
  }
  for (PostingList* list : touched) {
    std::erase_if(*list, [&](const Posting& p) { return removed.Test(p.doc); });
  }
}

void InvertedIndex::Commit() {
  for (PostingList* list : unsorted_) std::sort(list->begin(), list->end());
  unsorted_.clear();
}

const InvertedIndex::PostingList* InvertedIndex::Find(std::string_view word) const {
  auto it = lookup_.find(word);
  return it == lookup_.end() ? nullptr : it->second;
}

}  // namespace miroir::testnode
