// Package deploy holds what installs and runs fedsync outside Go: the
// systemd unit (systemd/), example configs (examples/), the container image
// built FROM scratch (Dockerfile, build-image.sh) and a compose file of a
// mini-province (compose/). See README.md.
//
// Its only Go code is the Docker fault test (compose_test.go), which runs
// the mini-province as seven containers, kills and partitions nodes while
// the streets keep writing, and checks that the city converges to every
// street's data. It runs only when FEDSYNC_DOCKER_TEST=1.
package deploy
