// The `quartet` commands. Each returns the process exit status: 0 success, 1 failure (one clear
// reason on stderr), 2 bad usage. CLI11 parsing lives in main.cc alone.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace quartet::cli {

int LogInit(const std::string& data, const std::string& tenant, const std::optional<std::string>& origin);
int LogAppend(const std::string& data, const std::string& tenant, std::istream& in);
int LogKey(const std::string& data, const std::string& tenant);
int LogProof(const std::string& data, const std::string& tenant, uint64_t index);
int Server(const std::string& data, const std::string& listen);
int Demo(const std::string& data, const std::string& listen);
int Verify(const std::string& url, const std::string& key, const std::optional<std::string>& state);

// Prints "quartet: <message>" to stderr and returns 1.
int Fail(const std::string& message);

}  // namespace quartet::cli
