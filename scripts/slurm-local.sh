#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the Slurm tests (recipe:
# ../shared/docs/slurm-local.md). Needs root. `start` installs Debian's slurm-wlm and munge
# when missing, writes a minimal slurm.conf, starts munged, slurmctld and slurmd, and waits
# for the node to be idle; it prints `started` (or `already running`, when it was up before)
# and exits non-zero if anything fails.
# `stop` ends exactly the daemons that `start` started (by the pids it recorded).
set -euo pipefail
STATE=/run/refinery-slurm
cmd=${1:-}

start() {
  if [ "$(id -u)" != 0 ]; then echo "slurm-local: needs root" >&2; exit 3; fi
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -q -o DPkg::Lock::Timeout=600 && apt-get install -y -q -o DPkg::Lock::Timeout=600 slurm-wlm munge) >/tmp/refinery-slurm-apt.log 2>&1 \
      || { echo "slurm-local: apt-get install slurm-wlm munge failed (see /tmp/refinery-slurm-apt.log)" >&2; exit 4; }
  fi
  if [ -f "$STATE/slurmd.pid" ] && kill -0 "$(cat "$STATE/slurmd.pid")" 2>/dev/null && sinfo -h -o %T 2>/dev/null | grep -q idle; then
    echo "already running"; exit 0
  fi
  mkdir -p "$STATE" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /etc/slurm
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  [ -f /etc/munge/munge.key ] || mungekey -c >/dev/null 2>&1 || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  mkdir -p /var/lib/munge /var/log/munge
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 400 /etc/munge/munge.key
  if ! pgrep -x munged >/dev/null || [ ! -S /run/munge/munge.socket.2 ]; then
    rm -f /run/munge/munged.pid
    runuser -u munge -- munged --force --pid-file=/run/munge/munged.pid
    cp /run/munge/munged.pid "$STATE/munged.pid"
  fi
  for _ in $(seq 1 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
  slurmctld
  slurmd
  for _ in $(seq 1 240); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then echo started; exit 0; fi
    sleep 0.5
  done
  echo "slurm-local: the node did not become idle (see /var/log/slurm/)" >&2
  exit 5
}

# End one daemon by its recorded pid: TERM, then KILL if it is still there after 10 s, and wait
# until it is gone (a half-stopped munged or slurmd breaks the next start).
stop_pid() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  rm -f "$f"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

stop() {
  for d in slurmd slurmctld munged; do stop_pid "$STATE/$d.pid"; done
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
