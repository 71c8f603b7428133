// Boxed<T>: an optional T kept on the heap. For members of objects that
// exist by the ten thousand (one per IKE_SA) and are rarely or briefly set:
// an empty Boxed costs one pointer instead of sizeof(T) inline. The
// interface is the part of std::optional the code uses.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace ike {

template <typename T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}  // NOLINT: as std::optional
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(std::nullopt_t) {
    p_.reset();
    return *this;
  }
  template <typename U = T>
    requires(!std::is_same_v<std::remove_cvref_t<U>, Boxed> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t>)
  Boxed& operator=(U&& v) {
    if (p_) {
      *p_ = std::forward<U>(v);
    } else {
      p_ = std::make_unique<T>(std::forward<U>(v));
    }
    return *this;
  }

  template <typename... Args>
  T& emplace(Args&&... args) {
    p_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *p_;
  }
  void reset() { p_.reset(); }

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace ike
