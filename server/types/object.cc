#include "server/types/object.h"

#include "server/util/numbers.h"

namespace sluice {

std::string_view TypeName(ObjType type) {
  switch (type) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kHash:
      return "hash";
    case ObjType::kSet:
      return "set";
    case ObjType::kZSet:
      return "zset";
    case ObjType::kStream:
      return "stream";
    case ObjType::kQueue:
      return "queue";
  }
  return "none";
}

Object Object::Clone() const {
  Object copy;
  copy.type_ = type_;
  copy.str_ = str_;
  copy.string_form_ = string_form_;
  if (collection_) copy.collection_ = collection_->Clone();
  copy.expire_at_ = expire_at_;
  copy.access_ms_ = access_ms_;
  return copy;
}

std::string_view Object::Encoding() const {
  if (type_ != ObjType::kString) return collection_->Encoding();
  if (string_form_ == StringForm::kRaw) return "raw";
  // Redis keeps small canonical integers as "int" and short strings as "embstr".
  if (string_form_ == StringForm::kByContent && str_.size() <= 20 && IsCanonicalInt64String(str_)) {
    return "int";
  }
  return str_.size() <= 44 ? "embstr" : "raw";
}

size_t Object::MemoryUsage() const {
  size_t base = sizeof(Object);
  if (type_ == ObjType::kString) return base + (str_.capacity() > 15 ? str_.capacity() : 0);
  return base + collection_->MemoryUsage();
}

}  // namespace sluice
