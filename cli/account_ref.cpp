#include "cli/account_ref.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/console.hpp"
#include "shared/repositories/account_repository.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync::cli {
namespace {

// Loose on purpose: the repository decides whether the email exists; this
// only tells a typo'd UUID ("3f2a-...") from an email.
bool looks_like_email(const std::string& text) {
    const auto at = text.find('@');
    return at != std::string::npos && at > 0 && at + 1 < text.size() &&
           text.find_first_of(" \t\r\n") == std::string::npos;
}

}  // namespace

OptionSpec account_option() {
    return {.names = "--account",
            .help = "The account: its id (UUID) or its email",
            .takes_value = true,
            .value_name = "ACCOUNT",
            .required = true};
}

Account resolve_account(AccountRepository& accounts, const std::string& ref) {
    std::optional<Account> found;
    if (is_uuid(ref))
        found = accounts.find_by_id(ref);
    else if (looks_like_email(ref))
        found = accounts.find_by_email(ref);
    else
        throw UsageError(fmt::format(
            "--account must be an account id (a UUID like 3f2a9c1e-0b7d-4c55-9a7e-2d1f0c8b6a41) "
            "or an email, got '{}'",
            printable(ref)));
    if (!found) throw Error(fmt::format("no account '{}'", printable(ref)), ExitCode::not_found);
    return *found;
}

}  // namespace edgesync::cli
