#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for pipeweave's SLURM tests, its benchmark and its
# example: `scripts/slurm-local.sh start|stop|status`. Needs root (or sudo): it installs Debian's
# slurm-wlm and munge when they are missing, writes /etc/slurm/slurm.conf and cgroup.conf naming
# this host, and starts munged, slurmctld and slurmd. `start` is idempotent: a cluster that
# already answers is left as it is.
#
# The configuration is made for tests, not production:
# - the node declares SLURM_LOCAL_CPUS cpus (default 8) and SLURM_LOCAL_MEMORY_MB of memory
#   (default 8000) whatever the machine has (config_overrides), so a 2-core machine still runs
#   several array tasks at once and a test can ask for more than one cpu;
# - no accounting (sacct is off, as on many clusters: pipeweave must not need it);
# - finished jobs stay visible to `scontrol show job` for MinJobAge seconds;
# - OverTimeLimit=0 and KillWait=2, so a task past its time limit is killed promptly (slurmctld
#   still checks limits only every 30 s or so: a time-limit test waits a minute or two).
set -euo pipefail

cpus="${SLURM_LOCAL_CPUS:-8}"
memory="${SLURM_LOCAL_MEMORY_MB:-8000}"
conf_dir=/etc/slurm
state_dir=/var/spool/slurmctld
spool_dir=/var/spool/slurmd
log_dir=/var/log/slurm

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

answers() {
  # sinfo succeeds once slurmctld answers; the node must also be idle or allocated (not down).
  timeout 5 sinfo -h -o "%T" 2>/dev/null | grep -qE "^(idle|mixed|allocated|completing)"
}

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null; }
}

write_config() {
  local host
  host="$(hostname -s)"
  $sudo mkdir -p "$conf_dir" "$state_dir" "$spool_dir" "$log_dir" /run/munge /var/log/munge /var/lib/munge
  $sudo tee "$conf_dir/slurm.conf" >/dev/null <<EOF
# Written by pipeweave's scripts/slurm-local.sh: a one-node test cluster.
ClusterName=pipeweave
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=${state_dir}
SlurmdSpoolDir=${spool_dir}
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=${log_dir}/slurmctld.log
SlurmdLogFile=${log_dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job that names no memory holds all of the node's, one task at a time.
DefMemPerCPU=256
SlurmdParameters=config_overrides
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=600
MaxArraySize=100001
MaxJobCount=100000
OverTimeLimit=0
KillWait=2
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  $sudo tee "$conf_dir/cgroup.conf" >/dev/null <<EOF
CgroupPlugin=cgroup/v1
CgroupAutomount=yes
IgnoreSystemd=yes
EOF
  if [ ! -s /etc/munge/munge.key ]; then
    $sudo dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  $sudo chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  $sudo chmod 0700 /etc/munge
  $sudo chmod 0400 /etc/munge/munge.key
}

start_daemons() {
  if ! pgrep -x munged >/dev/null; then
    $sudo runuser -u munge -- /usr/sbin/munged
  fi
  if ! pgrep -x slurmctld >/dev/null; then $sudo /usr/sbin/slurmctld; fi
  if ! pgrep -x slurmd >/dev/null; then $sudo /usr/sbin/slurmd; fi
  local i
  for i in $(seq 1 60); do
    if answers; then
      # A node left down by an earlier unclean stop comes back without waiting for an admin.
      $sudo scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null || true
      echo "slurm-local: cluster up ($(sinfo -h -o '%N %c cpus %m MB %T'))"
      return 0
    fi
    if [ "$i" -eq 10 ]; then
      $sudo scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null || true
    fi
    sleep 0.5
  done
  echo "slurm-local: the cluster did not come up; the logs say:" >&2
  tail -n 20 "$log_dir/slurmctld.log" "$log_dir/slurmd.log" >&2 || true
  return 1
}

stop_daemons() {
  local name
  for name in slurmd slurmctld munged; do
    $sudo pkill -x "$name" 2>/dev/null || true
  done
  for _ in $(seq 1 20); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null || break
    sleep 0.25
  done
}

case "${1:-}" in
  start)
    if command -v sinfo >/dev/null && answers; then
      echo "slurm-local: cluster already up"
      exit 0
    fi
    install_packages
    write_config
    start_daemons
    ;;
  stop)
    stop_daemons
    echo "slurm-local: stopped"
    ;;
  status)
    if command -v sinfo >/dev/null && answers; then
      sinfo
    else
      echo "slurm-local: no cluster answers"
      exit 1
    fi
    ;;
  *)
    echo "usage: scripts/slurm-local.sh start|stop|status" >&2
    exit 2
    ;;
esac
