#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "cli/command.hpp"
#include "shared/models/account.hpp"

namespace edgesync {
class AccountRepository;
}

// How commands name an account: `--account A`, where A is the account's id
// (a UUID) or its email. Until shared/services lands this resolves straight
// on the repository; the account/device/session groups can swap the body for
// AccountService without touching the commands that call it.
namespace edgesync::cli {

// `--account ACCOUNT`, required.
[[nodiscard]] OptionSpec account_option();

// The account `ref` names. Deleted accounts are found by id (admins may look
// at them) but not by email (a deleted account's email may belong to another).
// Throws UsageError (exit 2) when `ref` is neither a UUID nor an email, and
// Error "no account 'ref'" with ExitCode::not_found (exit 3) when none matches.
[[nodiscard]] Account resolve_account(AccountRepository& accounts, const std::string& ref);


}  // namespace edgesync::cli
