# `cmake --install` layout and the .deb (cpack -G DEB). Paths under /etc and
# /lib/systemd are absolute: Debian puts them there whatever the prefix.
include(GNUInstallDirs)

# `install`/cpack take the binaries as built instead of first building
# everything (tests, fuzzers): the packaging_deb test runs cpack in a tree
# whose test targets other tests are still using.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS herald apns-sim fcm-sim herald-publish RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md docs/operations.md docs/configuration.md docs/privacy.md docs/turn.md
              docs/herald.example.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY packaging/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES packaging/examples/standalone-s2s.toml DESTINATION /etc/herald RENAME herald.toml)
install(FILES packaging/herald.service DESTINATION /lib/systemd/system)
install(FILES packaging/herald.sysusers DESTINATION /usr/lib/sysusers.d RENAME herald.conf)

set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Herald")
set(CPACK_PACKAGE_CONTACT "Herald maintainers <herald@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "privacy-first XMPP push app server (XEP-0357) for APNs and FCM")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
