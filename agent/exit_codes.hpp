#pragma once

namespace edgesync::agent {

// Exit codes of edgesync-agent beyond the shared ExitCode enum
// (shared/util/error.hpp: 0 ok, 1 failure, 2 usage, 3..5 ...).
//
// k_exit_revoked: the server revoked this device. Restarting cannot help, so the
// systemd units list it in RestartPreventExitStatus= (scripts/packaging/); keep
// the two in step. Chosen outside 0..5 and outside the BSD sysexits range
// (64..78) so it cannot be mistaken for anything else.
inline constexpr int k_exit_revoked = 10;

// k_exit_awaiting_approval: `enroll` registered this device, but it holds no
// account key yet (no recovery passphrase given, or --wait-approval ran out):
// run `edgesync-agent approve DEVICE` on an enrolled device, then `enroll`
// again (or with --wait-approval). Enroll exits 0 only once the key is saved.
inline constexpr int k_exit_awaiting_approval = 11;

}  // namespace edgesync::agent
