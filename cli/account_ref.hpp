#pragma once

#include <string>

#include "cli/command.hpp"
#include "shared/models/account.hpp"

namespace edgesync {
class AccountRepository;
}

// How commands name an account: `--account A`, where A is the account's id
// (a UUID) or its email — the shared rule, edgesync::resolve_account.
namespace edgesync::cli {

// `--account ACCOUNT`, required.
[[nodiscard]] OptionSpec account_option();

// The account `ref` names. Deleted accounts are found by id (admins may look
// at them) but not by email (a deleted account's email may belong to another).
// Throws Error with the service's message and exit code: exit 2 (usage) when
// `ref` is neither a UUID nor an email, exit 3 (not found) when none matches.
[[nodiscard]] Account resolve_account(AccountRepository& accounts, const std::string& ref);


}  // namespace edgesync::cli
