#pragma once
// A value or an error message: how libraries report expected failures without exceptions.
#include <string>
#include <utility>
#include <variant>

namespace anec {

struct Failure {
    std::string message;
};

inline Failure fail(std::string message) {
    return Failure{std::move(message)};
}

template <typename T> class Expected {
  public:
    Expected(T value) : storage_(std::move(value)) {}
    Expected(Failure failure) : storage_(std::move(failure)) {}

    bool ok() const { return storage_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(storage_); }
    const T& value() const { return std::get<0>(storage_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const std::string& error() const { return std::get<1>(storage_).message; }

  private:
    std::variant<T, Failure> storage_;
};

} // namespace anec
