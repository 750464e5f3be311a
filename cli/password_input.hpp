#pragma once

#include <string>
#include <string_view>

#include "cli/command.hpp"

// Reading a new account password (`account create`, `account passwd`). Never
// from the command line, where it would show in `ps` and shell history: from
// stdin with --password-stdin, or typed at a prompt with echo off.
namespace edgesync::cli {

// With `from_stdin`: all of stdin minus one trailing newline (CRLF too).
// Else, on a terminal: asks twice on stderr with echo off, for `subject` (an
// email), checks crypto::check_password_policy after the first entry (exit 2),
// and throws Error (exit 1) when the two entries differ.
// Else UsageError: there is no way to ask.
// The password is never printed; it is the caller's to hash and forget.
[[nodiscard]] std::string read_new_password(const Context& context, bool from_stdin,
                                            std::string_view subject);

}  // namespace edgesync::cli
