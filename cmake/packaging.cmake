# `cmake --install` layout and the .deb packages (cpack -G DEB), one per
# component:
#   herald        the server: binary, unit, sysusers file, configuration,
#                 maintainer scripts (packaging/), operator docs
#   herald-tools  apns-sim, fcm-sim and herald-publish, for tests and load
#                 tests; nothing the server needs
# Paths under /etc and /lib/systemd are absolute: Debian puts them there
# whatever the prefix.
include(GNUInstallDirs)

# `install`/cpack take the binaries as built instead of first building
# everything (tests, fuzzers): the packaging_deb test runs cpack in a tree
# whose test targets other tests are still using.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# Debian wants the changelog of a native package gzipped, with no timestamp.
set(HERALD_DEB_CHANGELOG ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging)
execute_process(COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog
                OUTPUT_FILE ${HERALD_DEB_CHANGELOG} COMMAND_ERROR_IS_FATAL ANY)

set(HERALD_SERVER_DOC share/doc/herald)
set(HERALD_TOOLS_DOC share/doc/herald-tools)

install(TARGETS herald RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
install(FILES README.md docs/operations.md docs/configuration.md docs/privacy.md docs/protocol.md
              docs/turn.md docs/herald.example.toml packaging/copyright ${HERALD_DEB_CHANGELOG}
        DESTINATION ${HERALD_SERVER_DOC} COMPONENT server)
install(DIRECTORY packaging/examples/ DESTINATION ${HERALD_SERVER_DOC}/examples COMPONENT server)
# The configuration holds the dialback secret: not world-readable, and
# postinst gives it to group herald.
install(DIRECTORY DESTINATION /etc/herald COMPONENT server
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
install(FILES packaging/examples/standalone-s2s.toml DESTINATION /etc/herald RENAME herald.toml
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT server)
install(FILES packaging/herald.service DESTINATION /lib/systemd/system COMPONENT server)
install(FILES packaging/herald.sysusers DESTINATION /usr/lib/sysusers.d RENAME herald.conf COMPONENT server)

install(TARGETS apns-sim fcm-sim herald-publish RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
install(FILES packaging/copyright ${HERALD_DEB_CHANGELOG} DESTINATION ${HERALD_TOOLS_DOC} COMPONENT tools)
install(FILES tools/apns-sim/README.md DESTINATION ${HERALD_TOOLS_DOC} RENAME apns-sim.md COMPONENT tools)
install(FILES tools/fcm-sim/README.md DESTINATION ${HERALD_TOOLS_DOC} RENAME fcm-sim.md COMPONENT tools)

set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Herald")
set(CPACK_PACKAGE_CONTACT "Herald maintainers <herald@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)

# Each description: a synopsis line, then the long text (a line with a lone
# "." is a paragraph break in the control file).
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME herald)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
# adduser: postinst creates the system user with it when systemd-sysusers is
# missing, postrm deletes it on purge.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "herald-tools")
set(CPACK_DEBIAN_SERVER_DESCRIPTION
"privacy-first XMPP push app server (XEP-0357) for APNs and FCM
Herald is the app server of XEP-0357 push notifications: users' XMPP servers
(Prosody, ejabberd, ...) send it a publish over server-to-server XMPP, or
through a local server as a XEP-0114 component, when a sleeping phone should
wake up, and Herald asks Apple's (APNs) or Google's (FCM) push service to wake
the app, which then fetches its messages from its own server.
.
It learns as little as it can: the device token and the domain of the user's
server, never the message, its sender or the user's JID. Its logs carry
domains and token fingerprints only and are purged after 14 days; on disk it
keeps only hashes of dead tokens and, for older clients, v1 registrations.
It also hands out short-lived credentials for a coturn TURN relay.
.
The package runs Herald as a sandboxed systemd service under its own user.
It is not started until /etc/herald/herald.toml names the operator's push
domain, certificate and push credentials.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm
    ${PROJECT_SOURCE_DIR}/packaging/postrm ${PROJECT_SOURCE_DIR}/packaging/conffiles)

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME herald-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
"simulators of APNs and FCM and a test publisher for Herald
Tools for testing and load-testing an XMPP push app server such as Herald,
without Apple's or Google's services and without a real XMPP server:
.
 * apns-sim: Apple's push provider API (HTTP/2, token or certificate
   authentication), recording each request and answering per device token;
 * fcm-sim: Google's OAuth2 token endpoint and FCM HTTP v1 send API;
 * herald-publish: sends one XEP-0357 publish over s2s, as a user's XMPP
   server would, and prints the reply.
.
The push server itself is in the package herald.")
include(CPack)
