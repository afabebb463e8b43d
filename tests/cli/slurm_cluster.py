"""A real single-node Slurm cluster for the tests, with nothing written outside a temporary
folder: munged with its own key and socket, slurmctld and slurmd with a slurm.conf there, and
SLURM_CONF exported to the clients. Needs root and Debian's slurm-wlm and munge (bootstrap
installs them); every daemon it started is stopped by pid at the end, also when a test fails.

    with SlurmCluster() as cluster:   # cluster.env: the environment for sbatch, squeue, ...
        ...
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def available():
    """None when a cluster can be started here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (tools/bootstrap installs slurm-wlm and munge)"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cb-slurm-")
        os.chmod(self.dir, 0o711)  # munged refuses a socket folder others can write
        self.env = dict(os.environ, SLURM_CONF=os.path.join(self.dir, "slurm.conf"))
        self.pids = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        for d in ("munge", "state", "spool", "log"):
            os.makedirs(self.path(d))
        with open(self.path("munge", "munge.key"), "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(self.path("munge", "munge.key"), 0o400)
        sock = self.path("munge", "munge.socket")
        subprocess.run(["munged", "--key-file", self.path("munge", "munge.key"), "--socket", sock,
                        "--pid-file", self.path("munge", "munged.pid"), "--log-file",
                        self.path("munge", "munged.log"), "--seed-file", self.path("munge", "seed"),
                        "--force"], check=True, capture_output=True, timeout=30)
        self._remember(self.path("munge", "munged.pid"))
        conf = f"""ClusterName=cbtest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,sched_interval=1
StateSaveLocation={self.path("state")}
SlurmdSpoolDir={self.path("spool")}
SlurmctldPidFile={self.path("slurmctld.pid")}
SlurmdPidFile={self.path("slurmd.pid")}
SlurmctldLogFile={self.path("log", "slurmctld.log")}
SlurmdLogFile={self.path("log", "slurmd.log")}
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=localhost CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""
        with open(self.env["SLURM_CONF"], "w") as f:
            f.write(conf)
        subprocess.run(["slurmctld", "-c", "-f", self.env["SLURM_CONF"]], check=True,
                       capture_output=True, env=self.env, timeout=30)
        self._remember(self.path("slurmctld.pid"))
        subprocess.run(["slurmd", "-f", self.env["SLURM_CONF"]], check=True, capture_output=True,
                       env=self.env, timeout=30)
        self._remember(self.path("slurmd.pid"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                                 env=self.env, timeout=10)
            if res.stdout.strip() == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the Slurm node did not come up idle: {res.stdout} {res.stderr}")

    def _remember(self, pidfile):
        for _ in range(50):
            if os.path.exists(pidfile) and open(pidfile).read().strip():
                self.pids.append(int(open(pidfile).read().strip()))
                return
            time.sleep(0.1)

    def pending(self, job_ids):
        """True while squeue still lists any of the jobs (one squeue call)."""
        res = subprocess.run(["squeue", "-h", "-j", ",".join(job_ids)], capture_output=True,
                             text=True, env=self.env, timeout=10)
        if res.returncode != 0:
            return "Invalid job id" not in res.stderr
        return bool(res.stdout.strip())

    def wait(self, job_ids, timeout=180, poll=0.5):
        """Waits until squeue no longer lists the jobs (asking every `poll` s); True when they
        left in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pending(job_ids):
                return True
            time.sleep(poll)
        return False

    def __exit__(self, *exc):
        for pid in reversed(self.pids):
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        for pid in self.pids:
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
        return False
