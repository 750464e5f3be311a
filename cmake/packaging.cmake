# Installation layout and the Debian package (docs/operations.md, Packaging).
#
#   cmake --install build --prefix /usr        install into a prefix
#   cpack --config build/CPackConfig.cmake     build/edgesync_<version>_<arch>.deb
#   ninja -C build package                     the same, as a target
#
# Binaries come from install(TARGETS) in cli/, server/ and agent/ (bin/).
# Everything else an installed system needs is listed here. The CLI finds the
# migrations relative to its own executable (<exe dir>/../share/edgesync/migrations,
# cli/settings.cpp), so the layout below must keep bin/ and share/ siblings.

set(EDGESYNC_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/scripts/packaging)
set(EDGESYNC_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/edgesync)
# Relative to the prefix: /usr/lib/systemd/system etc. for the .deb (prefix
# /usr). Not CMAKE_INSTALL_LIBDIR, which is lib/<multiarch> on Debian.
set(EDGESYNC_SYSTEMD_UNIT_DIR lib/systemd/system)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/migrations/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/edgesync/migrations
        FILES_MATCHING PATTERN "*.sql")

install(FILES ${EDGESYNC_PACKAGING_DIR}/edgesync-server.service
              ${EDGESYNC_PACKAGING_DIR}/edgesync-agent.service
              ${EDGESYNC_PACKAGING_DIR}/edgesync-agent@.service
        DESTINATION ${EDGESYNC_SYSTEMD_UNIT_DIR})
install(FILES ${EDGESYNC_PACKAGING_DIR}/edgesync-agent.sysusers.conf
        DESTINATION lib/sysusers.d RENAME edgesync-agent.conf)
install(FILES ${EDGESYNC_PACKAGING_DIR}/edgesync-agent.tmpfiles.conf
        DESTINATION lib/tmpfiles.d RENAME edgesync-agent.conf)

# The example configuration (placeholders only, never a secret) and the docs.
install(FILES ${EDGESYNC_PACKAGING_DIR}/server.env.example
        DESTINATION ${EDGESYNC_DOC_DIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${EDGESYNC_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${EDGESYNC_DOC_DIR}
        FILES_MATCHING PATTERN "*.md")

# ---------------------------------------------------------------------------
# CPack: one .deb named edgesync with the three programs
# ---------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgesync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "EdgeSync")
set(CPACK_PACKAGE_CONTACT "EdgeSync maintainers <edgesync@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "End-to-end encrypted multi-device sync: server, agent and admin CLI")
set(CPACK_PACKAGE_DESCRIPTION
    "EdgeSync keeps folders in sync across devices with end-to-end encryption.\n\
edgesync-server is the HTTP API (Postgres + Redis, any number behind a load\n\
balancer), edgesync-agent syncs one folder per instance, and edgesync is the\n\
admin CLI (schema migrations, accounts, devices, diagnostics).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the debug info is most of the binaries' size
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # edgesync_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.com/edgesync")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${EDGESYNC_PACKAGING_DIR}/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Runtime Depends: computed from the binaries' shared libraries by
# dpkg-shlibdeps (package dpkg-dev, installed by scripts/bootstrap.sh). Without
# it, the Debian 12 packages the binaries link against, listed by hand.
find_program(EDGESYNC_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(EDGESYNC_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps not found: the .deb lists its Depends by hand")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libstdc++6, libpqxx-6.4, libpq5, libhiredis0.14, libsodium23, libsystemd0, \
libcurl4, libsqlite3-0, libfmt9, libspdlog1.10")
endif()
# Tests and benchmarks have no install rules: the package holds the programs only.
include(CPack)

if(EDGESYNC_BUILD_TESTS)
  add_subdirectory(tests/package)
endif()
