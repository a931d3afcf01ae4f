# Run by `cmake --install` (install(SCRIPT) in CMakeLists.txt) after the binary and the TLS shim:
# installs the files whose place or text depends on the prefix of this install, which is only
# known now (`cmake --install build --prefix /usr` may differ from the configured prefix).
# Read from the source tree now, not copied at configure time, so that an install (and
# scripts/package.sh --no-build) never ships a stale copy. Set before it: LOGTALLY_SOURCE_DIR,
# LOGTALLY_BINARY_DIR, LOGTALLY_VERSION, and LOGTALLY_BINDIR, LOGTALLY_DOCDIR, LOGTALLY_MANDIR
# (GNUInstallDirs' names, relative to the prefix).

# /etc for the /usr and / prefixes, PREFIX/etc otherwise (GNUInstallDirs' rule for SYSCONFDIR).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(etc /etc)
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/etc")
endif()
# Paths inside the unit are those of the installed system (no DESTDIR).
string(REGEX REPLACE "/$" "" prefix "${CMAKE_INSTALL_PREFIX}")

file(READ "${LOGTALLY_SOURCE_DIR}/packaging/logtally.service.in" unit)
string(REPLACE "@BINDIR@" "${prefix}/${LOGTALLY_BINDIR}" unit "${unit}")
string(REPLACE "@SYSCONFDIR@" "${etc}" unit "${unit}")
string(REPLACE "@DOCDIR@" "${prefix}/${LOGTALLY_DOCDIR}" unit "${unit}")
file(WRITE "${LOGTALLY_BINARY_DIR}/packaging/logtally.service" "${unit}")

file(READ "${LOGTALLY_SOURCE_DIR}/packaging/logtally.1" man)
string(REPLACE "@PROJECT_VERSION@" "${LOGTALLY_VERSION}" man "${man}")
file(WRITE "${LOGTALLY_BINARY_DIR}/packaging/logtally.1" "${man}")

file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/${LOGTALLY_MANDIR}/man1" TYPE FILE
  FILES "${LOGTALLY_BINARY_DIR}/packaging/logtally.1")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
  FILES "${LOGTALLY_BINARY_DIR}/packaging/logtally.service")
file(INSTALL DESTINATION "${etc}/logtally" TYPE FILE
  FILES "${LOGTALLY_SOURCE_DIR}/packaging/logtally.yaml")
