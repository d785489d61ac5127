// A value stored under a key. Strings live inline (they are the most common value and the hot
// path of GET/SET); every other type is a Collection reached through one pointer, so adding a
// type means adding a Collection subclass and nothing here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sluice {

enum class ObjType : uint8_t { kString, kList, kHash, kSet, kZSet, kStream, kQueue };

// The name TYPE answers for each type.
std::string_view TypeName(ObjType type);

class Collection {
 public:
  virtual ~Collection() = default;
  virtual ObjType type() const = 0;
  // What OBJECT ENCODING answers.
  virtual std::string_view Encoding() const = 0;
  virtual std::unique_ptr<Collection> Clone() const = 0;
  // Approximate heap bytes, for MEMORY USAGE.
  virtual size_t MemoryUsage() const = 0;
  // Number of elements; an empty collection is removed from the keyspace by its command.
  virtual size_t Length() const = 0;
};

class Object {
 public:
  Object() = default;
  explicit Object(std::string value) : str_(std::move(value)) {}
  explicit Object(std::unique_ptr<Collection> collection)
      : type_(collection->type()), collection_(std::move(collection)) {}
  Object(Object&&) noexcept = default;
  Object& operator=(Object&&) noexcept = default;

  ObjType type() const { return type_; }
  bool is_string() const { return type_ == ObjType::kString; }

  std::string& str() { return str_; }
  const std::string& str() const { return str_; }
  void SetString(std::string_view value) {
    type_ = ObjType::kString;
    collection_.reset();
    str_.assign(value);
    string_form_ = StringForm::kByContent;
  }
  // APPEND and SETRANGE edit a string in place, which Redis reports as "raw" whatever the
  // content; a new value (SET, INCR) is reported by its content again.
  void MarkRaw() { string_form_ = StringForm::kRaw; }
  void ClearRaw() { string_form_ = StringForm::kByContent; }
  // INCRBYFLOAT's result is kept as text by Redis even when it reads as an integer.
  void MarkNotInt() { string_form_ = StringForm::kNotInt; }

  Collection* collection() const { return collection_.get(); }
  template <typename T>
  T* As() const {
    return static_cast<T*>(collection_.get());
  }

  // Absolute expiry in unix milliseconds, 0 for none.
  int64_t expire_at() const { return expire_at_; }
  void set_expire_at(int64_t ms) { expire_at_ = ms; }

  // Last access time in milliseconds (OBJECT IDLETIME) and an access counter (OBJECT FREQ).
  int64_t access_ms() const { return access_ms_; }
  void Touch(int64_t now_ms) {
    access_ms_ = now_ms;
    if (frequency_ < 255) ++frequency_;
  }
  uint8_t frequency() const { return frequency_; }
  // RESTORE ... IDLETIME / FREQ set these directly.
  void set_access_ms(int64_t ms) { access_ms_ = ms; }
  void set_frequency(uint8_t freq) { frequency_ = freq; }

  Object Clone() const;
  std::string_view Encoding() const;
  size_t MemoryUsage() const;

 private:
  ObjType type_ = ObjType::kString;
  uint8_t frequency_ = 0;
  // How OBJECT ENCODING reports a string: Redis's encoding follows how the value was made.
  enum class StringForm : uint8_t { kByContent, kRaw, kNotInt };
  StringForm string_form_ = StringForm::kByContent;
  int64_t expire_at_ = 0;
  int64_t access_ms_ = 0;
  std::string str_;
  std::unique_ptr<Collection> collection_;
};

}  // namespace sluice
