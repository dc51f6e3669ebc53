#!/bin/bash
# A one-node Slurm on 127.0.0.1 for trying the scripts here (and for
# test/slurm.test.ts): Debian's slurm-wlm with munge, state and logs under
# $DIR. Run as root on a Debian/Ubuntu machine; nothing listens beyond loopback.
#   bash examples/slurm/loopback-slurm.sh && export SLURM_CONF=/tmp/ecgx-slurm/slurm.conf
set -euo pipefail
DIR=${DIR:-/tmp/ecgx-slurm}
if ! command -v slurmctld >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmd slurmctld slurm-client munge
fi
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" /run/munge
chown munge:munge /run/munge
pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged
H=$(hostname -s)
CPUS=$(nproc)
MEM=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 3 / 4))
cat > "$DIR/slurm.conf" <<CONF
ClusterName=ecgx
SlurmctldHost=$H(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$H NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$DIR/slurm.conf"
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 20); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo
echo "export SLURM_CONF=$DIR/slurm.conf"
