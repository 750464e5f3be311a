#include "cli/account_ref.hpp"

#include "cli/admin_services.hpp"
#include "shared/services/account_service.hpp"

namespace edgesync::cli {

OptionSpec account_option() {
    return {.names = "--account",
            .help = "The account: its id (UUID) or its email",
            .takes_value = true,
            .value_name = "ACCOUNT",
            .required = true};
}

Account resolve_account(AccountRepository& accounts, const std::string& ref) {
    return take(edgesync::resolve_account(accounts, ref, /*include_deleted=*/true));
}

}  // namespace edgesync::cli
