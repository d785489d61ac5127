// The list type: a QuickList stored under a key.
#pragma once

#include <memory>

#include "server/types/object.h"
#include "server/types/quicklist.h"

namespace sluice {

class ListObject : public Collection {
 public:
  ListObject() = default;
  explicit ListObject(const QuickList& items) : items_(items) {}

  ObjType type() const override { return ObjType::kList; }
  // Redis 7.0 has a single list encoding and reports it whatever the size; the listpack form
  // QuickList tracks is what Redis 7.2 would answer.
  std::string_view Encoding() const override { return "quicklist"; }
  std::unique_ptr<Collection> Clone() const override {
    return std::make_unique<ListObject>(items_);
  }
  size_t MemoryUsage() const override { return sizeof(*this) + items_.bytes(); }
  size_t Length() const override { return items_.size(); }

  QuickList& items() { return items_; }
  const QuickList& items() const { return items_; }

 private:
  QuickList items_;
};

}  // namespace sluice
