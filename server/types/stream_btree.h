// An ordered map as a B+ tree: every value lives in a leaf, leaves are chained both ways for
// range scans, and inner nodes only route. Lookups, inserts and erases are O(log n); a scan
// costs O(log n) to position and O(1) per step.
//
// Streams key their packed nodes by master ID with it, and consumer groups their pending entries
// lists by entry ID. Both mostly append at the largest key, so a full rightmost node is split
// leaving the old node full instead of half empty: appended data packs nodes completely.
//
// Keys and values are small trivially copyable types (IDs, pointers); the tree never owns what
// a pointer value points to.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace sluice {

template <typename K, typename V, int kCapacity = 32>
class BTreeMap {
  static_assert(kCapacity >= 4, "nodes must hold a few entries");
  static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

  static constexpr int kMin = kCapacity / 2;

  struct Leaf {
    int n = 0;
    Leaf* prev = nullptr;
    Leaf* next = nullptr;
    K keys[kCapacity];
    V values[kCapacity];
  };
  // keys[i] (i >= 1) is a lower bound of every key under child[i] and above every key under
  // child[i - 1]; keys[0] is unused.
  struct Inner {
    int n = 0;
    K keys[kCapacity];
    void* child[kCapacity];
  };

 public:
  class Iterator {
   public:
    Iterator() = default;
    bool valid() const { return leaf_ != nullptr; }
    const K& key() const { return leaf_->keys[pos_]; }
    V& value() const { return leaf_->values[pos_]; }
    void Next() {
      if (++pos_ < leaf_->n) return;
      leaf_ = leaf_->next;
      pos_ = 0;
    }
    void Prev() {
      if (pos_ > 0) {
        --pos_;
        return;
      }
      leaf_ = leaf_->prev;
      pos_ = leaf_ != nullptr ? leaf_->n - 1 : 0;
    }

   private:
    friend class BTreeMap;
    Iterator(Leaf* leaf, int pos) : leaf_(leaf), pos_(pos) {
      if (leaf_ != nullptr && pos_ >= leaf_->n) {
        leaf_ = leaf_->next;
        pos_ = 0;
      }
    }
    Leaf* leaf_ = nullptr;
    int pos_ = 0;
  };

  BTreeMap() = default;
  ~BTreeMap() { Clear(); }
  BTreeMap(const BTreeMap&) = delete;
  BTreeMap& operator=(const BTreeMap&) = delete;
  BTreeMap(BTreeMap&& other) noexcept { *this = std::move(other); }
  BTreeMap& operator=(BTreeMap&& other) noexcept {
    if (this != &other) {
      Clear();
      root_ = other.root_;
      height_ = other.height_;
      size_ = other.size_;
      leaves_ = other.leaves_;
      inners_ = other.inners_;
      other.root_ = nullptr;
      other.height_ = 0;
      other.size_ = 0;
      other.leaves_ = 0;
      other.inners_ = 0;
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t node_count() const { return leaves_ + inners_; }
  // Heap bytes taken by the tree's own nodes.
  size_t MemoryUsage() const { return leaves_ * sizeof(Leaf) + inners_ * sizeof(Inner); }

  void Clear() {
    if (root_ != nullptr) Free(root_, height_);
    root_ = nullptr;
    height_ = 0;
    size_ = 0;
    leaves_ = 0;
    inners_ = 0;
  }

  // Adds key -> value; false (and no change) when the key is already present.
  bool Insert(const K& key, const V& value) {
    if (root_ == nullptr) {
      Leaf* leaf = NewLeaf();
      leaf->keys[0] = key;
      leaf->values[0] = value;
      leaf->n = 1;
      root_ = leaf;
      size_ = 1;
      return true;
    }
    K split_key;
    void* split_node = nullptr;
    if (!InsertAt(root_, height_, key, value, /*rightmost=*/true, &split_key, &split_node)) {
      return false;
    }
    if (split_node != nullptr) {
      Inner* root = NewInner();
      root->child[0] = root_;
      root->child[1] = split_node;
      root->keys[1] = split_key;
      root->n = 2;
      root_ = root;
      ++height_;
    }
    ++size_;
    return true;
  }

  // Removes the key; false when it was absent.
  bool Erase(const K& key) {
    if (root_ == nullptr) return false;
    if (!EraseAt(root_, height_, key)) return false;
    --size_;
    if (height_ > 0) {
      auto* root = static_cast<Inner*>(root_);
      if (root->n == 1) {
        root_ = root->child[0];
        --height_;
        delete root;
        --inners_;
      }
    } else if (static_cast<Leaf*>(root_)->n == 0) {
      delete static_cast<Leaf*>(root_);
      --leaves_;
      root_ = nullptr;
    }
    return true;
  }

  V* Find(const K& key) const {
    Iterator it = LowerBound(key);
    return it.valid() && !(key < it.key()) ? &it.value() : nullptr;
  }

  Iterator Begin() const {
    if (root_ == nullptr) return Iterator();
    void* node = root_;
    for (int level = height_; level > 0; --level) node = static_cast<Inner*>(node)->child[0];
    return Iterator(static_cast<Leaf*>(node), 0);
  }
  // The largest key.
  Iterator Last() const {
    if (root_ == nullptr) return Iterator();
    void* node = root_;
    for (int level = height_; level > 0; --level) {
      auto* inner = static_cast<Inner*>(node);
      node = inner->child[inner->n - 1];
    }
    auto* leaf = static_cast<Leaf*>(node);
    return Iterator(leaf, leaf->n - 1);
  }
  // The first key >= `key`.
  Iterator LowerBound(const K& key) const {
    Leaf* leaf = FindLeaf(key);
    if (leaf == nullptr) return Iterator();
    int pos =
        static_cast<int>(std::lower_bound(leaf->keys, leaf->keys + leaf->n, key) - leaf->keys);
    return Iterator(leaf, pos);
  }
  // The last key <= `key`.
  Iterator Floor(const K& key) const {
    Leaf* leaf = FindLeaf(key);
    if (leaf == nullptr) return Iterator();
    int pos =
        static_cast<int>(std::upper_bound(leaf->keys, leaf->keys + leaf->n, key) - leaf->keys);
    if (pos > 0) return Iterator(leaf, pos - 1);
    leaf = leaf->prev;
    return leaf == nullptr ? Iterator() : Iterator(leaf, leaf->n - 1);
  }

  // Test hook: checks ordering, fill and links; returns false on any broken invariant.
  bool CheckInvariants() const {
    if (root_ == nullptr) return size_ == 0;
    size_t counted = 0;
    const K* prev = nullptr;
    for (Iterator it = Begin(); it.valid(); it.Next()) {
      if (prev != nullptr && !(*prev < it.key())) return false;
      prev = &it.key();
      ++counted;
    }
    return counted == size_ && CheckNode(root_, height_, nullptr, nullptr, true);
  }

 private:
  Leaf* NewLeaf() {
    ++leaves_;
    return new Leaf();
  }
  Inner* NewInner() {
    ++inners_;
    return new Inner();
  }

  static int ChildIndex(const Inner* inner, const K& key) {
    // The last child whose lower bound is <= key; child 0 takes everything below keys[1].
    int pos = static_cast<int>(std::upper_bound(inner->keys + 1, inner->keys + inner->n, key) -
                               (inner->keys + 1));
    return pos;
  }

  Leaf* FindLeaf(const K& key) const {
    if (root_ == nullptr) return nullptr;
    void* node = root_;
    for (int level = height_; level > 0; --level) {
      auto* inner = static_cast<Inner*>(node);
      node = inner->child[ChildIndex(inner, key)];
    }
    return static_cast<Leaf*>(node);
  }

  bool InsertAt(void* node, int level, const K& key, const V& value, bool rightmost, K* split_key,
                void** split_node) {
    if (level == 0) return InsertLeaf(static_cast<Leaf*>(node), key, value, split_key, split_node);
    auto* inner = static_cast<Inner*>(node);
    int idx = ChildIndex(inner, key);
    K child_split_key;
    void* child_split = nullptr;
    if (!InsertAt(inner->child[idx], level - 1, key, value, rightmost && idx == inner->n - 1,
                  &child_split_key, &child_split)) {
      return false;
    }
    if (child_split == nullptr) return true;
    int at = idx + 1;
    if (inner->n < kCapacity) {
      InsertChild(inner, at, child_split_key, child_split);
      return true;
    }
    Inner* right = NewInner();
    if (rightmost && at == inner->n) {
      right->child[0] = child_split;
      right->n = 1;
      *split_key = child_split_key;
    } else {
      int keep = kCapacity / 2;
      for (int i = keep; i < inner->n; ++i) {
        right->keys[i - keep] = inner->keys[i];
        right->child[i - keep] = inner->child[i];
      }
      right->n = inner->n - keep;
      inner->n = keep;
      *split_key = right->keys[0];
      if (at <= keep) {
        InsertChild(inner, at, child_split_key, child_split);
      } else {
        InsertChild(right, at - keep, child_split_key, child_split);
      }
    }
    *split_node = right;
    return true;
  }

  static void InsertChild(Inner* inner, int at, const K& key, void* child) {
    for (int i = inner->n; i > at; --i) {
      inner->keys[i] = inner->keys[i - 1];
      inner->child[i] = inner->child[i - 1];
    }
    inner->keys[at] = key;
    inner->child[at] = child;
    ++inner->n;
  }

  bool InsertLeaf(Leaf* leaf, const K& key, const V& value, K* split_key, void** split_node) {
    int pos =
        static_cast<int>(std::lower_bound(leaf->keys, leaf->keys + leaf->n, key) - leaf->keys);
    if (pos < leaf->n && !(key < leaf->keys[pos])) return false;
    if (leaf->n < kCapacity) {
      PutInLeaf(leaf, pos, key, value);
      return true;
    }
    Leaf* right = NewLeaf();
    right->prev = leaf;
    right->next = leaf->next;
    if (leaf->next != nullptr) leaf->next->prev = right;
    leaf->next = right;
    if (pos == leaf->n && right->next == nullptr) {
      right->keys[0] = key;
      right->values[0] = value;
      right->n = 1;
    } else {
      int keep = kCapacity / 2;
      for (int i = keep; i < leaf->n; ++i) {
        right->keys[i - keep] = leaf->keys[i];
        right->values[i - keep] = leaf->values[i];
      }
      right->n = leaf->n - keep;
      leaf->n = keep;
      if (pos <= keep) {
        PutInLeaf(leaf, pos, key, value);
      } else {
        PutInLeaf(right, pos - keep, key, value);
      }
    }
    *split_key = right->keys[0];
    *split_node = right;
    return true;
  }

  static void PutInLeaf(Leaf* leaf, int pos, const K& key, const V& value) {
    for (int i = leaf->n; i > pos; --i) {
      leaf->keys[i] = leaf->keys[i - 1];
      leaf->values[i] = leaf->values[i - 1];
    }
    leaf->keys[pos] = key;
    leaf->values[pos] = value;
    ++leaf->n;
  }

  // Removes key below `node`; the caller repairs `node` if it became underfull.
  bool EraseAt(void* node, int level, const K& key) {
    if (level == 0) {
      auto* leaf = static_cast<Leaf*>(node);
      int pos =
          static_cast<int>(std::lower_bound(leaf->keys, leaf->keys + leaf->n, key) - leaf->keys);
      if (pos == leaf->n || key < leaf->keys[pos]) return false;
      for (int i = pos + 1; i < leaf->n; ++i) {
        leaf->keys[i - 1] = leaf->keys[i];
        leaf->values[i - 1] = leaf->values[i];
      }
      --leaf->n;
      return true;
    }
    auto* inner = static_cast<Inner*>(node);
    int idx = ChildIndex(inner, key);
    if (!EraseAt(inner->child[idx], level - 1, key)) return false;
    int child_n = level == 1 ? static_cast<Leaf*>(inner->child[idx])->n
                             : static_cast<Inner*>(inner->child[idx])->n;
    if (child_n < kMin) Rebalance(inner, idx, level - 1);
    return true;
  }

  // child[idx] of parent (at `child_level`) holds fewer than kMin entries: borrow one from a
  // sibling that can spare it, or merge with a sibling.
  void Rebalance(Inner* parent, int idx, int child_level) {
    if (parent->n < 2) return;  // the root's only child; the root collapses above us
    int left = idx > 0 ? idx - 1 : idx;
    int right = left + 1;
    if (child_level == 0) {
      auto* l = static_cast<Leaf*>(parent->child[left]);
      auto* r = static_cast<Leaf*>(parent->child[right]);
      if (l->n + r->n <= kCapacity) {
        for (int i = 0; i < r->n; ++i) {
          l->keys[l->n + i] = r->keys[i];
          l->values[l->n + i] = r->values[i];
        }
        l->n += r->n;
        l->next = r->next;
        if (r->next != nullptr) r->next->prev = l;
        delete r;
        --leaves_;
        RemoveChild(parent, right);
      } else if (idx == left) {  // the small one is on the left: take r's first
        PutInLeaf(l, l->n, r->keys[0], r->values[0]);
        for (int i = 1; i < r->n; ++i) {
          r->keys[i - 1] = r->keys[i];
          r->values[i - 1] = r->values[i];
        }
        --r->n;
        parent->keys[right] = r->keys[0];
      } else {  // take l's last
        PutInLeaf(r, 0, l->keys[l->n - 1], l->values[l->n - 1]);
        --l->n;
        parent->keys[right] = r->keys[0];
      }
      return;
    }
    auto* l = static_cast<Inner*>(parent->child[left]);
    auto* r = static_cast<Inner*>(parent->child[right]);
    if (l->n + r->n <= kCapacity) {
      l->keys[l->n] = parent->keys[right];
      l->child[l->n] = r->child[0];
      for (int i = 1; i < r->n; ++i) {
        l->keys[l->n + i] = r->keys[i];
        l->child[l->n + i] = r->child[i];
      }
      l->n += r->n;
      delete r;
      --inners_;
      RemoveChild(parent, right);
    } else if (idx == left) {
      l->keys[l->n] = parent->keys[right];
      l->child[l->n] = r->child[0];
      ++l->n;
      parent->keys[right] = r->keys[1];
      for (int i = 1; i < r->n; ++i) {
        r->keys[i - 1] = r->keys[i];
        r->child[i - 1] = r->child[i];
      }
      --r->n;
    } else {
      for (int i = r->n; i > 0; --i) {
        r->keys[i] = r->keys[i - 1];
        r->child[i] = r->child[i - 1];
      }
      r->keys[1] = parent->keys[right];
      r->child[0] = l->child[l->n - 1];
      ++r->n;
      parent->keys[right] = l->keys[l->n - 1];
      --l->n;
    }
  }

  static void RemoveChild(Inner* inner, int at) {
    for (int i = at + 1; i < inner->n; ++i) {
      inner->keys[i - 1] = inner->keys[i];
      inner->child[i - 1] = inner->child[i];
    }
    --inner->n;
  }

  void Free(void* node, int level) {
    if (level == 0) {
      delete static_cast<Leaf*>(node);
      return;
    }
    auto* inner = static_cast<Inner*>(node);
    for (int i = 0; i < inner->n; ++i) Free(inner->child[i], level - 1);
    delete inner;
  }

  // Every key under node lies in [*low, *high); non-root nodes are at least a quarter full (the
  // append split leaves a single entry in a new rightmost node, so the rightmost path may hold
  // fewer).
  bool CheckNode(void* node, int level, const K* low, const K* high, bool rightmost) const {
    if (level == 0) {
      auto* leaf = static_cast<Leaf*>(node);
      for (int i = 0; i < leaf->n; ++i) {
        if (low != nullptr && leaf->keys[i] < *low) return false;
        if (high != nullptr && !(leaf->keys[i] < *high)) return false;
      }
      return leaf->n > 0;
    }
    auto* inner = static_cast<Inner*>(node);
    if (inner->n < 1 || (node == root_ && inner->n < 2)) return false;
    for (int i = 0; i < inner->n; ++i) {
      const K* lo = i == 0 ? low : &inner->keys[i];
      const K* hi = i + 1 < inner->n ? &inner->keys[i + 1] : high;
      if (i > 0 && i + 1 < inner->n && !(inner->keys[i] < inner->keys[i + 1])) return false;
      if (!CheckNode(inner->child[i], level - 1, lo, hi, rightmost && i + 1 == inner->n)) {
        return false;
      }
    }
    return true;
  }

  void* root_ = nullptr;
  int height_ = 0;  // 0: the root is a leaf
  size_t size_ = 0;
  size_t leaves_ = 0;
  size_t inners_ = 0;
};

}  // namespace sluice
