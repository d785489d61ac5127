#include "tests/e2e/resp.h"

#include <charconv>
#include <cstdio>

namespace sluice::test::resp {
namespace {

constexpr int kMaxDepth = 64;

// Finds the line that starts at `pos`; returns false if its CRLF has not arrived yet.
bool ReadLine(std::string_view buf, size_t pos, std::string_view* line, size_t* next) {
  size_t end = buf.find("\r\n", pos);
  if (end == std::string_view::npos) return false;
  *line = buf.substr(pos, end - pos);
  *next = end + 2;
  return true;
}

bool ParseInt(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, *value);
  return ec == std::errc() && ptr == last;
}

ParseStatus ParseAt(std::string_view buf, size_t* pos, Reply* out, std::string* error, int depth) {
  if (depth > kMaxDepth) {
    *error = "reply nested too deeply";
    return ParseStatus::kError;
  }
  if (*pos >= buf.size()) return ParseStatus::kIncomplete;
  char prefix = buf[*pos];
  std::string_view line;
  size_t next = 0;
  if (!ReadLine(buf, *pos + 1, &line, &next)) return ParseStatus::kIncomplete;

  auto simple = [&](Type type) {
    out->type = type;
    out->str.assign(line);
    *pos = next;
    return ParseStatus::kOk;
  };
  auto bad = [&](const std::string& what) {
    *error = what + " in line '" + Quote(line) + "'";
    return ParseStatus::kError;
  };

  switch (prefix) {
    case '+':
      return simple(Type::kStatus);
    case '-':
      return simple(Type::kError);
    case ':': {
      int64_t v;
      if (!ParseInt(line, &v)) return bad("bad integer");
      return simple(Type::kInteger);
    }
    case ',':
      return simple(Type::kDouble);
    case '(':
      return simple(Type::kBigNum);
    case '#':
      if (line != "t" && line != "f") return bad("bad boolean");
      return simple(Type::kBool);
    case '_':
      if (!line.empty()) return bad("bad null");
      return simple(Type::kNull);
    case '$':
    case '!':
    case '=': {
      int64_t len;
      if (!ParseInt(line, &len) || len < -1) return bad("bad bulk length");
      if (len == -1) {
        if (prefix != '$') return bad("negative length");
        out->type = Type::kNullBulk;
        out->str.clear();
        *pos = next;
        return ParseStatus::kOk;
      }
      size_t n = static_cast<size_t>(len);
      if (buf.size() < next + n + 2) return ParseStatus::kIncomplete;
      if (buf.substr(next + n, 2) != "\r\n") return bad("bulk payload not followed by CRLF");
      out->type = prefix == '$' ? Type::kBulk : prefix == '!' ? Type::kBlobError : Type::kVerbatim;
      out->str.assign(buf.substr(next, n));
      *pos = next + n + 2;
      return ParseStatus::kOk;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      int64_t count;
      if (!ParseInt(line, &count) || count < -1) return bad("bad aggregate length");
      if (count == -1) {
        if (prefix != '*') return bad("negative length");
        out->type = Type::kNullArray;
        *pos = next;
        return ParseStatus::kOk;
      }
      size_t elements = static_cast<size_t>(count) * ((prefix == '%' || prefix == '|') ? 2 : 1);
      std::vector<Reply> elems;
      elems.reserve(elements < 4096 ? elements : 4096);
      size_t cursor = next;
      for (size_t i = 0; i < elements; ++i) {
        Reply child;
        ParseStatus st = ParseAt(buf, &cursor, &child, error, depth + 1);
        if (st != ParseStatus::kOk) return st;
        elems.push_back(std::move(child));
      }
      if (prefix == '|') {
        // Attributes describe the reply that follows them.
        ParseStatus st = ParseAt(buf, &cursor, out, error, depth + 1);
        if (st != ParseStatus::kOk) return st;
        out->attributes = std::move(elems);
        *pos = cursor;
        return ParseStatus::kOk;
      }
      out->type = prefix == '*'   ? Type::kArray
                  : prefix == '%' ? Type::kMap
                  : prefix == '~' ? Type::kSet
                                  : Type::kPush;
      out->elems = std::move(elems);
      *pos = cursor;
      return ParseStatus::kOk;
    }
    default: {
      char msg[64];
      std::snprintf(msg, sizeof msg, "unknown reply type byte 0x%02x",
                    static_cast<unsigned char>(prefix));
      *error = msg;
      return ParseStatus::kError;
    }
  }
}

void AppendLines(const Reply& r, std::vector<std::string>* lines);

std::string AggregateHeader(const Reply& r) {
  std::string_view kind = TypeName(r.type);
  size_t n = r.type == Type::kMap ? r.elems.size() / 2 : r.elems.size();
  if (n == 0) return "(empty " + std::string(kind) + ")";
  std::string unit =
      r.type == Type::kMap ? (n == 1 ? "pair" : "pairs") : (n == 1 ? "element" : "elements");
  std::string header(1, '(');
  header.append(kind).append(", ").append(std::to_string(n)).append(" ").append(unit);
  return header + ")";
}

// Appends `child`'s lines, the first behind `label`, the rest indented to line up with it.
void AppendLabelled(const std::string& label, const Reply& child, std::vector<std::string>* lines) {
  std::vector<std::string> sub;
  AppendLines(child, &sub);
  std::string pad(label.size(), ' ');
  for (size_t i = 0; i < sub.size(); ++i) lines->push_back((i == 0 ? label : pad) + sub[i]);
}

void AppendLines(const Reply& r, std::vector<std::string>* lines) {
  if (!r.attributes.empty()) {
    Reply attrs;
    attrs.type = Type::kMap;
    attrs.elems = r.attributes;
    AppendLabelled("(attributes) ", attrs, lines);
  }
  switch (r.type) {
    case Type::kStatus:
      lines->push_back("(status) " + r.str);
      return;
    case Type::kError:
      lines->push_back("(error) " + r.str);
      return;
    case Type::kInteger:
      lines->push_back("(integer) " + r.str);
      return;
    case Type::kBulk:
      lines->push_back(Quote(r.str));
      return;
    case Type::kNullBulk:
      lines->push_back("(nil bulk)");
      return;
    case Type::kNullArray:
      lines->push_back("(nil array)");
      return;
    case Type::kNull:
      lines->push_back("(null)");
      return;
    case Type::kDouble:
      lines->push_back("(double) " + r.str);
      return;
    case Type::kBool:
      lines->push_back(std::string("(bool) ") + (r.str == "t" ? "true" : "false"));
      return;
    case Type::kBlobError:
      lines->push_back("(blob error) " + Quote(r.str));
      return;
    case Type::kVerbatim:
      lines->push_back("(verbatim) " + Quote(r.str));
      return;
    case Type::kBigNum:
      lines->push_back("(bignum) " + r.str);
      return;
    case Type::kArray:
    case Type::kSet:
    case Type::kPush:
      lines->push_back(AggregateHeader(r));
      for (size_t i = 0; i < r.elems.size(); ++i) {
        AppendLabelled(std::to_string(i + 1) + ") ", r.elems[i], lines);
      }
      return;
    case Type::kMap:
      lines->push_back(AggregateHeader(r));
      for (size_t i = 0; i + 1 < r.elems.size(); i += 2) {
        std::vector<std::string> key;
        AppendLines(r.elems[i], &key);
        std::string label = std::to_string(i / 2 + 1) + "# ";
        for (size_t k = 0; k + 1 < key.size(); ++k) lines->push_back(label + key[k]);
        AppendLabelled(label + key.back() + " => ", r.elems[i + 1], lines);
      }
      return;
  }
}

}  // namespace

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kStatus:
      return "status";
    case Type::kError:
      return "error";
    case Type::kInteger:
      return "integer";
    case Type::kBulk:
      return "bulk";
    case Type::kNullBulk:
      return "null-bulk";
    case Type::kNullArray:
      return "null-array";
    case Type::kArray:
      return "array";
    case Type::kNull:
      return "null";
    case Type::kDouble:
      return "double";
    case Type::kBool:
      return "bool";
    case Type::kBlobError:
      return "blob-error";
    case Type::kVerbatim:
      return "verbatim";
    case Type::kBigNum:
      return "bignum";
    case Type::kMap:
      return "map";
    case Type::kSet:
      return "set";
    case Type::kPush:
      return "push";
  }
  return "?";
}

bool Reply::IsAggregate() const {
  return type == Type::kArray || type == Type::kMap || type == Type::kSet || type == Type::kPush;
}

int64_t Reply::integer() const {
  int64_t v = 0;
  if (type != Type::kInteger || !ParseInt(str, &v)) return 0;
  return v;
}

const Reply* Reply::Find(std::string_view key) const {
  if (type != Type::kMap) return nullptr;
  for (size_t i = 0; i + 1 < elems.size(); i += 2) {
    const Reply& k = elems[i];
    if ((k.type == Type::kBulk || k.type == Type::kStatus) && k.str == key) return &elems[i + 1];
  }
  return nullptr;
}

std::string Reply::Encode() const {
  std::string out;
  if (!attributes.empty()) {
    out += '|';
    out += std::to_string(attributes.size() / 2);
    out += "\r\n";
    for (const Reply& a : attributes) out += a.Encode();
  }
  auto line = [&](char prefix, const std::string& text) {
    out += prefix;
    out += text;
    out += "\r\n";
  };
  auto blob = [&](char prefix) {
    line(prefix, std::to_string(str.size()));
    out += str;
    out += "\r\n";
  };
  auto aggregate = [&](char prefix, size_t n) {
    line(prefix, std::to_string(n));
    for (const Reply& e : elems) out += e.Encode();
  };
  switch (type) {
    case Type::kStatus:
      line('+', str);
      break;
    case Type::kError:
      line('-', str);
      break;
    case Type::kInteger:
      line(':', str);
      break;
    case Type::kBulk:
      blob('$');
      break;
    case Type::kNullBulk:
      out += "$-1\r\n";
      break;
    case Type::kNullArray:
      out += "*-1\r\n";
      break;
    case Type::kNull:
      out += "_\r\n";
      break;
    case Type::kDouble:
      line(',', str);
      break;
    case Type::kBool:
      line('#', str);
      break;
    case Type::kBlobError:
      blob('!');
      break;
    case Type::kVerbatim:
      blob('=');
      break;
    case Type::kBigNum:
      line('(', str);
      break;
    case Type::kArray:
      aggregate('*', elems.size());
      break;
    case Type::kMap:
      aggregate('%', elems.size() / 2);
      break;
    case Type::kSet:
      aggregate('~', elems.size());
      break;
    case Type::kPush:
      aggregate('>', elems.size());
      break;
  }
  return out;
}

std::string Reply::ToString() const {
  std::vector<std::string> lines;
  AppendLines(*this, &lines);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

ParseStatus Parse(std::string_view buf, size_t* pos, Reply* out, std::string* error) {
  size_t cursor = *pos;
  Reply reply;
  ParseStatus st = ParseAt(buf, &cursor, &reply, error, 0);
  if (st == ParseStatus::kOk) {
    *out = std::move(reply);
    *pos = cursor;
  }
  return st;
}

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out(1, '*');
  out += std::to_string(argv.size());
  out += "\r\n";
  for (const std::string& arg : argv) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace sluice::test::resp
