#!/bin/bash
# Starts one container of the live boot, as a container runtime would.
# Runs as root, as PID 1 of the container's own PID, mount and UTS
# namespaces, inside its pod's network namespace (see xtask/src/pods.rs):
#   - the root filesystem: a tmpfs holding the host's /usr (read-only), a
#     copy of the host's /etc, the image's own files (xtask/images/), its
#     read-only bind mounts (the Kafka and ZooKeeper jars), /proc, /sys and
#     a few devices; read-only when readOnlyRootFilesystem is set;
#   - the pod's hosts file, kept current by the harness, at /etc/hosts;
#   - every volume at its mountPath;
#   - the command, verbatim, as the container's user and groups, with no
#     new privileges and no capabilities, in an environment of exactly the
#     variables the kubelet built.
# $1 is a directory holding `settings` (shell variables), `env` and `argv`
# (NUL-separated), `mounts` and `image-mounts` (source, path, ro|rw).
set -euo pipefail
dir=$1
. "$dir/settings"
hostname "$POD_HOSTNAME"
root="$dir/root"
mkdir -p "$root"
mount -t tmpfs -o mode=755 rootfs "$root"
cd "$root"
mkdir -p usr proc sys dev etc tmp run var/tmp
ln -s usr/bin bin
ln -s usr/lib lib
ln -s usr/lib64 lib64
ln -s usr/sbin sbin
# /usr: the host's, under the image's own /usr files (read-only either way).
if [ -d "$IMAGE_DIR/usr" ]; then
  mount -t overlay overlay -o "lowerdir=$IMAGE_DIR/usr:/usr" usr
else
  mount --bind /usr usr
  mount -o remount,bind,ro usr
fi
cp -a /etc/. etc/
rm -rf etc/netns
: > etc/resolv.conf
for f in "$IMAGE_DIR"/*; do
  if [ "${f##*/}" != usr ]; then cp -a "$f" .; fi
done
bind() { # source, path inside the root, ro|rw
  local src=$1 dest=$root$2
  if [ -d "$src" ]; then mkdir -p "$dest"; else mkdir -p "$(dirname "$dest")"; : > "$dest"; fi
  mount --bind "$src" "$dest"
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$dest"; fi
}
while read -r src dest mode; do bind "$src" "$dest" "$mode"; done < "$dir/image-mounts"
bind "/etc/netns/$NETNS/hosts" /etc/hosts ro
for d in null zero full random urandom tty; do
  : > "dev/$d"
  mount --bind "/dev/$d" "dev/$d"
done
ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr
mkdir -p dev/shm
mount -t tmpfs -o mode=1777 shm dev/shm
mount -t proc proc proc
mount --rbind /sys sys
chmod 1777 tmp var/tmp
while read -r src dest mode; do bind "$src" "$dest" "$mode"; done < "$dir/mounts"
if [ "$READ_ONLY_ROOT" = true ]; then
  mount -o remount,ro "$root"
fi
mapfile -d '' envs < "$dir/env"
mapfile -d '' argv < "$dir/argv"
privs=()
if [ "$NO_NEW_PRIVS" = true ]; then privs+=(--no-new-privs); fi
if [ "$DROP_ALL_CAPS" = true ]; then privs+=(--inh-caps=-all --bounding-set=-all); fi
exec chroot "$root" /usr/bin/setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --groups="$RUN_GROUPS" \
  "${privs[@]}" /usr/bin/env -i -C "$WORKDIR" "${envs[@]}" "${argv[@]}"
