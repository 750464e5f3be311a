// edgesync-agent: the sync daemon's command line. The only CLI11 translation
// unit of the agent; the commands live in agent/cmd_*.cpp (commands.hpp).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "agent/commands.hpp"
#include "agent/state_dir.hpp"
#include "shared/version.hpp"

int main(int argc, char** argv) {
    using namespace edgesync::agent;
    CLI::App app{
        "edgesync-agent: keeps a local folder in step with every other device of an EdgeSync\n"
        "account, end-to-end encrypted (the server only ever sees ciphertext).\n\n"
        "  edgesync-agent enroll --server URL --email E --password-file F --dir DIR\n"
        "  edgesync-agent approve DEVICE      # on an enrolled device, for a new one\n"
        "  edgesync-agent run                 # the daemon (systemd Type=notify)\n"
        "  edgesync-agent status [--json]\n"};
    app.set_version_flag("--version", std::string("edgesync-agent ") + edgesync::k_version);
    app.require_subcommand(1);

    GlobalOptions global;
    std::string state_dir;
    app.add_option("--state-dir", state_dir,
                   "where config, keys, tokens and the index live (default: $STATE_DIRECTORY, "
                   "else /var/lib/edgesync as root, else ~/.local/state/edgesync)")
        ->envname("EDGESYNC_STATE_DIR");
    app.add_option("--log-level", global.log_level, "trace debug info warn error off")
        ->default_val("info");

    EnrollOptions enroll_opts;
    long wait_seconds = 0;
    auto* enroll_cmd = app.add_subcommand(
        "enroll",
        "log in, create this device's key pair and register it; the first device creates the "
        "account key, later ones unlock it with the recovery passphrase or wait for approval");
    enroll_cmd->add_option("--server", enroll_opts.server, "server URL, e.g. https://sync.example")
        ->required();
    enroll_cmd->add_option("--email", enroll_opts.email, "account email")->required();
    enroll_cmd
        ->add_option("--password-file", enroll_opts.password_file,
                     "file holding the account password (kept as a path, never copied)")
        ->required()
        ->check(CLI::ExistingFile);
    enroll_cmd->add_option("--dir", enroll_opts.sync_dir, "the folder to sync")->required();
    enroll_cmd->add_option("--name", enroll_opts.device_name, "device name (default: host name)");
    enroll_cmd
        ->add_option("--recovery-passphrase-file", enroll_opts.recovery_passphrase_file,
                     "first device: wraps the account key under it; later devices: unlocks it")
        ->check(CLI::ExistingFile);
    enroll_cmd
        ->add_option("--wait-approval", wait_seconds,
                     "later device without a passphrase: wait this many seconds for "
                     "`edgesync-agent approve` on an enrolled device")
        ->check(CLI::NonNegativeNumber);
    enroll_cmd->footer(
        "Run again with the same server, email and folder to finish a pending enrollment.\n"
        "Exit codes: 0 this device holds the account key; 11 registered, waiting for approval;\n"
        "1 failed (e.g. wrong password or passphrase); 2 usage; 5 server unreachable; 10 revoked.");

    std::string approve_device;
    bool approve_yes = false;
    auto* approve_cmd = app.add_subcommand(
        "approve", "give a newly enrolled device the account key (run on an enrolled device)");
    approve_cmd->add_option("DEVICE", approve_device, "the new device's id or name")->required();
    approve_cmd->add_flag("--yes,-y", approve_yes, "do not ask after showing the fingerprint");
    approve_cmd->footer(
        "Shows the device's fingerprint: compare it with what enroll printed on that device.\n"
        "Exit codes: 0 approved; 1 failed or declined; 2 usage (ambiguous name, no terminal\n"
        "without --yes); 3 no such device; 5 server unreachable; 10 this device is revoked.");

    auto* run_cmd = app.add_subcommand("run", "sync continuously (foreground daemon)");
    auto* sync_cmd = app.add_subcommand("sync", "one full two-way pass, then exit");
    bool once = false;
    sync_cmd->add_flag("--once", once, "required: one pass and exit")->required();

    bool status_json = false;
    auto* status_cmd = app.add_subcommand("status", "what the agent is doing");
    status_cmd->add_flag("--json", status_json, "machine-readable");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help / --version exit 0; every other parse error is a usage error
        // (2, as documented), not CLI11's own 1xx codes.
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        global.state_dir =
            state_dir.empty() ? default_state_dir() : std::filesystem::path(state_dir);
        enroll_opts.wait_for_approval = std::chrono::seconds(wait_seconds);
        if (*enroll_cmd) return enroll(global, enroll_opts);
        if (*approve_cmd) return approve(global, approve_device, approve_yes);
        if (*run_cmd) return run_daemon(global);
        if (*sync_cmd) return sync_once(global);
        if (*status_cmd) return status(global, status_json);
    } catch (const std::exception& e) {
        fmt::print(stderr, "edgesync-agent: error: {}\n", e.what());
        return 1;
    }
    return 2;
}
