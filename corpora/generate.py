"""Deterministic generator of realistic logs, written by this project for the demo, tests and benchmarks.

Each kind imitates one family of real logs: an HDFS DataNode/NameNode log (``hdfs``), Hadoop
MapReduce application logs with Java stack traces (``hadoop``), a Linux syslog (``syslog``), an
Apache 2.4 error log (``apache``) and a JSON-lines application log (``json``).  Messages come from
templates whose frequencies follow a Zipf law; timestamps only move forward; values (block ids,
addresses, ports, users, durations, pids) are drawn from pools with the skew and locality of real
systems.  A few lines break the header format as real logs do: continuation lines of exceptions,
blank lines, lines cut short by a crash, stray output of other programs.

``FORMATS[kind]`` is the kind's header format in Loghub's syntax.  The same arguments always give
the same bytes (``random.Random`` is seeded and nothing depends on hashing, locale or clock).

    python -m corpora.generate hadoop --size 10MB --seed 1 -o hadoop.log
"""
import argparse
import json
import os
import random
import re
import sys
import time
from collections import deque
from itertools import accumulate
from typing import Iterator, NamedTuple

FORMATS = {
    "hdfs": "<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "hadoop": r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    "syslog": r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
    "apache": r"\[<Time>\] \[<Level>\] <Content>",
    "json": r'\{"ts":"<Time>","level":"<Level>","logger":"<Component>","msg":<Content>',
}
KINDS = tuple(FORMATS)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # time.struct_time.tm_wday order
TRUNCATED_LINE_RATE = 1 / 5000  # lines cut short, as when a process dies in the middle of a write


class GeneratedLine(NamedTuple):
    """One line, without its terminator; ``fits_format`` is False for deliberate misfits."""

    text: bytes
    fits_format: bool


class _Source:
    """Random values shaped like those of real logs, all drawn from one seeded generator."""

    def __init__(self, seed, start, mean_gap):
        self.rng = random.Random(seed)
        self.now = float(start)
        self.mean_gap = mean_gap
        self._cum_weights = {}

    def tick(self):
        """Advance the clock by an exponential gap (bursts and lulls) and return it."""
        self.now += self.rng.expovariate(1.0 / self.mean_gap)
        return self.now

    def zipf(self, items, exponent=1.2):
        """An item of ``items``, the first ones far more often (rank ``r`` has weight ``1/r**exponent``)."""
        key = (len(items), exponent)
        if key not in self._cum_weights:
            self._cum_weights[key] = list(accumulate(1.0 / r**exponent for r in range(1, len(items) + 1)))
        return self.rng.choices(items, cum_weights=self._cum_weights[key])[0]

    def chance(self, p):
        return self.rng.random() < p

    def recent(self, items):
        """An item of ``items`` biased towards the end: recent objects are the busy ones."""
        return items[len(items) - 1 - int(len(items) * self.rng.random() ** 3)]

    def ip(self, prefix="10.251"):
        return f"{prefix}.{self.rng.randrange(1, 255)}.{self.rng.randrange(1, 255)}"

    def public_ip(self):
        r = self.rng.randrange
        return f"{r(1, 224)}.{r(0, 256)}.{r(0, 256)}.{r(1, 255)}"

    def ephemeral_port(self):
        return self.rng.randrange(32768, 61000)

    def hex(self, digits):
        return f"{self.rng.getrandbits(4 * digits):0{digits}x}"

    def duration_ms(self, median):
        """A log-normal duration in milliseconds, as request and query times are."""
        return self.rng.lognormvariate(0.0, 1.0) * median


def _gmtime(t):
    return time.gmtime(int(t))


def _millis(t):
    return int(t * 1000) % 1000


def _cut_short(source, text):
    """``text`` cut at a random byte, possibly inside a UTF-8 sequence."""
    return text[: source.rng.randrange(1, max(2, len(text)))]


# --- HDFS -------------------------------------------------------------------------------------


class _Hdfs:
    """HDFS daemons on a cluster: blocks are allocated, received, replicated, served and deleted."""

    BLOCK_SIZE = 67108864

    def __init__(self, source):
        self.s = source
        rng = source.rng
        self.datanodes = [source.ip(f"10.25{rng.randrange(0, 2)}") for _ in range(200)]
        self.pids = [rng.randrange(13, 800) for _ in range(60)]
        self.blocks = deque((self._new_block() for _ in range(64)), maxlen=512)
        self.job = f"200811092030_{rng.randrange(1, 20):04d}"
        self.templates = [
            ("dfs.DataNode$DataXceiver", self._receiving),
            ("dfs.FSNamesystem", self._stored),
            ("dfs.DataNode$PacketResponder", self._terminating),
            ("dfs.DataNode$PacketResponder", self._received),
            ("dfs.DataBlockScanner", lambda: f"Verification succeeded for {self._block()}"),
            ("dfs.DataNode", self._served),
            ("dfs.FSNamesystem", self._deleted),
            ("dfs.FSDataset", self._deleting),
            ("dfs.FSNamesystem", self._allocate),
            ("dfs.DataNode$DataXceiver", self._serve_failed),
            ("dfs.DataNode$DataTransfer", self._transmitted),
            ("dfs.FSNamesystem", self._replicate),
            ("dfs.DataNode$PacketResponder", lambda: f"Receiving empty packet for block {self._block()}"),
            ("dfs.DataNode$DataXceiver", self._write_failed),
            ("dfs.FSNamesystem", self._redundant),
            ("dfs.DataNode", lambda: f"Starting thread to transfer block {self._block()} to {self._node()}:50010"),
        ]

    def _new_block(self):
        return f"blk_{self.s.rng.randrange(-(2**63), 2**63)}"

    def _block(self):
        if self.s.chance(0.05):
            self.blocks.append(self._new_block())
        return self.s.recent(self.blocks)

    def _node(self):
        return self.s.zipf(self.datanodes, 0.6)

    def _size(self):
        return self.BLOCK_SIZE if self.s.chance(0.8) else self.s.rng.randrange(1, self.BLOCK_SIZE)

    def _receiving(self):
        src, dest = self._node(), self._node()
        return f"Receiving block {self._block()} src: /{src}:{self.s.ephemeral_port()} dest: /{dest}:50010"

    def _stored(self):
        return (f"BLOCK* NameSystem.addStoredBlock: blockMap updated: {self._node()}:50010 "
                f"is added to {self._block()} size {self._size()}")

    def _terminating(self):
        return f"PacketResponder {self.s.rng.randrange(3)} for block {self._block()} terminating"

    def _received(self):
        return f"Received block {self._block()} of size {self._size()} from /{self._node()}"

    def _served(self):
        return f"{self._node()}:50010 Served block {self._block()} to /{self._node()}"

    def _deleted(self):
        return f"BLOCK* NameSystem.delete: {self._block()} is added to invalidSet of {self._node()}:50010"

    def _deleting(self):
        block = self._block()
        subdir = f"subdir{self.s.rng.randrange(64)}/" if self.s.chance(0.7) else ""
        return f"Deleting block {block} file /mnt/hadoop/dfs/data/current/{subdir}{block}"

    def _allocate(self):
        block = self._new_block()
        self.blocks.append(block)
        task = self.s.rng.randrange(2000)
        return (f"BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/"
                f"_task_{self.job}_m_{task:06d}_0/part-{task:05d}. {block}")

    def _serve_failed(self):
        return f"{self._node()}:50010:Got exception while serving {self._block()} to /{self._node()}:"

    def _transmitted(self):
        return f"{self._node()}:50010:Transmitted block {self._block()} to /{self._node()}:50010"

    def _replicate(self):
        return f"BLOCK* ask {self._node()}:50010 to replicate {self._block()} to datanode(s) {self._node()}:50010"

    def _write_failed(self):
        return f"writeBlock {self._block()} received exception java.io.IOException: Could not read from stream"

    def _redundant(self):
        return (f"BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for "
                f"{self._block()} on {self._node()}:50010 size {self._size()}")

    def lines(self):
        s = self.s
        while True:
            component, message = s.zipf(self.templates)
            content = message()
            t = _gmtime(s.tick())
            level = "WARN" if "exception" in content and s.chance(0.5) else "INFO"
            line = (f"{t.tm_year % 100:02d}{t.tm_mon:02d}{t.tm_mday:02d} "
                    f"{t.tm_hour:02d}{t.tm_min:02d}{t.tm_sec:02d} {s.zipf(self.pids, 0.8)} "
                    f"{level} {component}: {content}")
            yield GeneratedLine(line.encode(), True)


# --- Hadoop MapReduce -------------------------------------------------------------------------

_JAVA_FRAMES = (
    "org.apache.hadoop.ipc.Client.call(Client.java:1468)",
    "org.apache.hadoop.ipc.Client.call(Client.java:1399)",
    "org.apache.hadoop.ipc.ProtobufRpcEngine$Invoker.invoke(ProtobufRpcEngine.java:232)",
    "com.sun.proxy.$Proxy9.getFileInfo(Unknown Source)",
    "sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
    "sun.reflect.NativeMethodAccessorImpl.invoke(NativeMethodAccessorImpl.java:57)",
    "sun.reflect.DelegatingMethodAccessorImpl.invoke(DelegatingMethodAccessorImpl.java:43)",
    "java.lang.reflect.Method.invoke(Method.java:606)",
    "org.apache.hadoop.io.retry.RetryInvocationHandler.invokeMethod(RetryInvocationHandler.java:187)",
    "org.apache.hadoop.io.retry.RetryInvocationHandler.invoke(RetryInvocationHandler.java:102)",
    "org.apache.hadoop.hdfs.DFSClient.renewLease(DFSClient.java:892)",
    "org.apache.hadoop.hdfs.LeaseRenewer.renew(LeaseRenewer.java:417)",
    "org.apache.hadoop.hdfs.LeaseRenewer.run(LeaseRenewer.java:442)",
    "org.apache.hadoop.hdfs.LeaseRenewer.access$700(LeaseRenewer.java:71)",
    "org.apache.hadoop.hdfs.LeaseRenewer$1.run(LeaseRenewer.java:298)",
    "org.apache.hadoop.net.NetUtils.connect(NetUtils.java:530)",
    "org.apache.hadoop.net.SocketIOWithTimeout.connect(SocketIOWithTimeout.java:206)",
    "sun.nio.ch.SocketChannelImpl.finishConnect(SocketChannelImpl.java:739)",
    "java.lang.Thread.run(Thread.java:745)",
)
_JAVA_EXCEPTIONS = (
    "java.net.ConnectException: Call From {host}/127.0.0.1 to {master}:9000 failed on connection exception: "
    "java.net.ConnectException: Connection refused: no further information; For more details see:  "
    "http://wiki.apache.org/hadoop/ConnectionRefused",
    "java.io.IOException: Bad response ERROR for block BP-1347369012-10.190.173.170-1444972147527:"
    "blk_{block}_{gen} from datanode {ip}:50010",
    "java.net.NoRouteToHostException: No Route to Host from  {host}/{ip} to {master}:9000 failed on socket "
    "timeout exception: java.net.NoRouteToHostException: No route to host: no further information",
    "java.io.IOException: All datanodes {ip}:50010 are bad. Aborting...",
)


class _Hadoop:
    """A MapReduce application master and its tasks: attempts, containers, spills, shuffles, retries."""

    CLUSTER_TS = 1445144423722

    def __init__(self, source):
        self.s = source
        rng = source.rng
        self.app = rng.randrange(1, 100)
        self.hosts = [f"MININT-{source.hex(7).upper()}" for _ in range(6)]
        self.master = "msra-sa-41"
        self.maps = rng.randrange(10, 200)
        self.port = rng.randrange(50000, 65000)
        self.templates = [
            ("IPC Server handler {h} on {port}", "org.apache.hadoop.mapred.TaskAttemptListenerImpl", self._progress),
            ("AsyncDispatcher event handler", "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl",
             self._transition),
            ("RMCommunicator Allocator", "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator", self._schedule),
            ("main", "org.apache.hadoop.mapred.MapTask", self._spill),
            ("fetcher#{f}", "org.apache.hadoop.mapreduce.task.reduce.Fetcher", self._shuffle),
            ("LeaseRenewer:msrabi@{master}:9000", "org.apache.hadoop.hdfs.LeaseRenewer", self._lease),
            ("ContainerLauncher #{c}", "org.apache.hadoop.mapreduce.v2.app.launcher.ContainerLauncherImpl",
             self._launch),
            ("AsyncDispatcher event handler", "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskImpl", self._task),
            ("RMCommunicator Allocator", "org.apache.hadoop.ipc.Client", self._retry),
            ("IPC Server handler {h} on {port}", "org.apache.hadoop.mapred.TaskAttemptListenerImpl", self._jvm),
            ("main", "org.apache.hadoop.mapred.MapTask", self._split),
            ("RMCommunicator Allocator", "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator", self._rm_error),
            ("main", "org.apache.hadoop.mapreduce.v2.app.MRAppMaster", self._master),
            ("Thread-{t}", "org.apache.hadoop.hdfs.DFSClient", self._dfs_error),
        ]

    def _attempt(self):
        kind = "m" if self.s.chance(0.85) else "r"
        task = self.s.rng.randrange(self.maps if kind == "m" else 4)
        return f"attempt_{self.CLUSTER_TS}_{self.app:04d}_{kind}_{task:06d}_{self.s.zipf(range(4), 2.5)}"

    def _progress(self):
        return f"Progress of TaskAttempt {self._attempt()} is : {self.s.rng.random():.8f}", None

    def _transition(self):
        states = ("NEW", "UNASSIGNED", "ASSIGNED", "RUNNING", "SUCCESS_CONTAINER_CLEANUP", "SUCCEEDED")
        i = self.s.rng.randrange(len(states) - 1)
        return f"{self._attempt()} TaskAttempt Transitioned from {states[i]} to {states[i + 1]}", None

    def _schedule(self):
        r = self.s.rng.randrange
        done = r(self.maps + 1)
        return (f"After Scheduling: PendingReds:{r(2)} ScheduledMaps:{self.maps - done} ScheduledReds:{r(2)} "
                f"AssignedMaps:{r(12)} AssignedReds:{r(2)} CompletedMaps:{done} CompletedReds:0 "
                f"ContainersAllocated:{r(40)} ContainersCompleted:{r(40)} HostLocal:{r(20)} RackLocal:{r(5)}"), None

    def _spill(self):
        r = self.s.rng.randrange
        choice = r(4)
        if choice == 0:
            return "Spilling map output", None
        if choice == 1:
            return f"bufstart = {r(10**8)}; bufend = {r(10**8)}; bufvoid = 104857600", None
        if choice == 2:
            return f"kvstart = {r(26214396)}(104857584); kvend = {r(26214396)}(104857584); length = {r(6553600)}/6553600", None
        return f"Finished spill {r(20)}", None

    def _shuffle(self):
        size = int(self.s.rng.lognormvariate(11, 1))
        return (f"fetcher#{self.s.rng.randrange(1, 6)} about to shuffle output of map {self._attempt()} "
                f"decomp: {size} len: {size + 4} to MEMORY"), None

    def _lease(self):
        seconds = self.s.rng.randrange(30, 600)
        return (f"Failed to renew lease for [DFSClient_NONMAPREDUCE_{self.s.rng.randrange(10**10)}_1] for "
                f"{seconds} seconds.  Will retry shortly ..."), self._stack_trace()

    def _launch(self):
        container = f"container_{self.CLUSTER_TS}_{self.app:04d}_01_{self.s.rng.randrange(2, 200):06d}"
        return (f"Processing the event EventType: CONTAINER_REMOTE_LAUNCH for container {container} "
                f"taskAttempt {self._attempt()}"), None

    def _task(self):
        task = self._attempt().replace("attempt_", "task_").rsplit("_", 1)[0]
        return f"{task} Task Transitioned from SCHEDULED to RUNNING", None

    def _retry(self):
        tries = self.s.rng.randrange(10)
        return (f"Retrying connect to server: {self.master}/10.190.173.170:8030. Already tried {tries} time(s); "
                "retry policy is RetryUpToMaximumCountWithFixedSleep(maxRetries=10, sleepTime=1000 MILLISECONDS)"), None

    def _jvm(self):
        return f"JVM with ID : jvm_{self.CLUSTER_TS}_{self.app:04d}_m_{self.s.rng.randrange(2, 200):06d} asked for a task", None

    def _split(self):
        start = self.s.rng.randrange(8) * 134217728
        return f"Processing split: hdfs://{self.master}:9000/pageinput2.txt:{start}+134217728", None

    def _rm_error(self):
        return "ERROR IN CONTACTING RM. ", self._stack_trace()

    def _master(self):
        return f"Created MRAppMaster for application appattempt_{self.CLUSTER_TS}_{self.app:04d}_000001", None

    def _dfs_error(self):
        return "DataStreamer Exception", self._stack_trace()

    def _stack_trace(self):
        """An exception and its frames, sometimes a cause: lines outside the header format."""
        s = self.s
        ip = s.ip("10.86")
        fields = dict(host=s.rng.choice(self.hosts), master=self.master, ip=ip,
                      block=s.rng.randrange(1073741824, 1073750000), gen=s.rng.randrange(1000, 9999))
        lines = [s.zipf(_JAVA_EXCEPTIONS).format(**fields)]
        start = s.rng.randrange(len(_JAVA_FRAMES) - 4)
        lines += ["\tat " + f for f in _JAVA_FRAMES[start:start + s.rng.randrange(3, 12)]]
        if s.chance(0.3):
            lines.append("Caused by: java.net.ConnectException: Connection refused: no further information")
            lines += ["\tat " + f for f in _JAVA_FRAMES[-4:]]
            lines.append(f"\t... {s.rng.randrange(5, 20)} more")
        return lines

    def lines(self):
        s = self.s
        while True:
            process, component, message = s.zipf(self.templates)
            content, trace = message()
            process = process.format(h=s.rng.randrange(30), port=self.port, f=s.rng.randrange(1, 6),
                                     master=self.master, c=s.rng.randrange(10), t=s.rng.randrange(40, 90))
            level = "INFO" if trace is None else ("WARN" if s.chance(0.7) else "ERROR")
            now = s.tick()
            t = _gmtime(now)
            line = (f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d},"
                    f"{_millis(now):03d} {level} [{process}] {component}: {content}")
            yield GeneratedLine(line.encode(), True)
            for extra in trace or ():
                yield GeneratedLine(extra.encode(), False)
            if s.chance(1 / 3000):  # a container's exit diagnostics, as in the Loghub Hadoop logs
                for extra in ("Container killed on request. Exit code is 137",
                              "Container exited with a non-zero exit code 137", ""):
                    yield GeneratedLine(extra.encode(), False)


# --- Linux syslog -----------------------------------------------------------------------------


class _Syslog:
    """One Linux host: ssh brute-force bursts, su sessions, ftp connections, cron, kernel messages."""

    def __init__(self, source):
        self.s = source
        self.users = ["root", "cyrus", "news", "test", "admin", "guest", "oracle", "postgres", "www", "ftp"]
        self.attackers = [source.public_ip() for _ in range(300)]
        self.pid = source.rng.randrange(1000, 30000)
        self.xinetd_pid = source.rng.randrange(2000, 3000)
        self.burst = (self.pid, self.attackers[0])
        self.templates = [
            self._auth_failure, self._check_pass, self._su, self._ftp, self._cron, self._accepted,
            self._kernel, self._xinetd, self._invalid_user, self._cups, self._logrotate, self._syslogd,
        ]

    def _next_pid(self):
        self.pid = 300 + (self.pid + self.s.rng.randrange(1, 40) - 300) % 32000
        return self.pid

    def _ssh_burst(self):
        """(pid, attacker): brute-force attempts come in runs from one address."""
        if self.s.chance(0.2):
            self.burst = (self._next_pid(), self.s.zipf(self.attackers, 0.9))
        return self.burst

    def _auth_failure(self):
        pid, host = self._ssh_burst()
        user = "  user=" + self.s.zipf(self.users) if self.s.chance(0.6) else ""
        return (f"sshd(pam_unix)[{pid}]",
                f"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={host}{user}")

    def _check_pass(self):
        return f"sshd(pam_unix)[{self._ssh_burst()[0]}]", "check pass; user unknown"

    def _su(self):
        user, pid = self.s.zipf(self.users[1:]), self._next_pid()
        if self.s.chance(0.5):
            return f"su(pam_unix)[{pid}]", f"session opened for user {user} by (uid=0)"
        return f"su(pam_unix)[{pid}]", f"session closed for user {user}"

    def _ftp(self):
        ip = self.s.zipf(self.attackers)
        t = _gmtime(self.s.now)
        stamp = f"{WEEKDAYS[t.tm_wday]} {MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {t.tm_year}"
        return f"ftpd[{self._next_pid()}]", f"connection from {ip} () at {stamp} "

    def _cron(self):
        job = self.s.zipf(("run-parts /etc/cron.hourly", "/usr/lib/sa/sa1 1 1", "/usr/sbin/logwatch"))
        return f"CROND[{self._next_pid()}]", f"(root) CMD ({job})"

    def _accepted(self):
        user = self.s.zipf(self.users)
        return (f"sshd[{self._next_pid()}]",
                f"Accepted password for {user} from {self.s.ip('192.168')} port {self.s.ephemeral_port()} ssh2")

    def _invalid_user(self):
        pid, host = self._ssh_burst()
        name = self.s.rng.choice(("admin", "test", "user", "oracle", "pi", "ubnt", "support"))
        return (f"sshd[{pid}]",
                f"Failed password for invalid user {name} from {host} port {self.s.ephemeral_port()} ssh2")

    def _kernel(self):
        r = self.s.rng.randrange
        return "kernel", self.s.zipf((
            f"Out of Memory: Killed process {r(300, 32000)} ({self.s.zipf(('httpd', 'python', 'java'))}).",
            f"audit({int(self.s.now)}.{r(10**9)}:0): initialized",
            f"usb 1-{r(1, 4)}: new full speed USB device using address {r(2, 9)}",
            "EXT3-fs: mounted filesystem with ordered data mode.",
            f" [<{r(2**25, 2**26):08x}>] do_page_fault+0x{r(16, 4096):x}/0x{r(4096, 8192):x}",
        ))

    def _xinetd(self):
        return f"xinetd[{self.xinetd_pid}]", f"START: ftp pid={self._next_pid()} from={self.s.zipf(self.attackers)}"

    def _cups(self):
        return "cups", self.s.zipf(("cupsd shutdown succeeded", "cupsd startup succeeded"))

    def _logrotate(self):
        return "logrotate", "ALERT exited abnormally with [1]"

    def _syslogd(self):
        return "syslogd 1.4.1", "restart."

    def lines(self):
        s = self.s
        while True:
            t = _gmtime(s.tick())
            component, content = s.zipf(self.templates)()
            stamp = f"{MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            if s.chance(1 / 1000):  # syslogd's own note, without a component
                yield GeneratedLine(f"{stamp} combo last message repeated {s.rng.randrange(2, 40)} times".encode(), False)
            yield GeneratedLine(f"{stamp} combo {component}: {content}".encode(), True)


# --- Apache error log -------------------------------------------------------------------------


class _Apache:
    """An Apache 2.4 error log of a public web server: scanners, PHP warnings, TLS, restarts."""

    def __init__(self, source):
        self.s = source
        self.clients = [source.public_ip() for _ in range(500)]
        self.workers = [source.rng.randrange(1000, 40000) for _ in range(12)]
        self.paths = ["wp-login.php", "xmlrpc.php", ".env", "phpmyadmin/index.php", "admin/config.php",
                      "cgi-bin/awstats.pl", "scripts/..%2f../winnt/system32/cmd.exe", "robots.txt",
                      "favicon.ico", "vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", ".git/config",
                      "shop/cart.php", "blog/feed", "api/v1/login", "images/logo.png"]
        self.scripts = ["index.php", "cart.php", "lib/db.php", "templates/header.php", "api/user.php"]
        self.templates = [
            ("core:info", True, lambda: f"AH00128: File does not exist: /var/www/html/{self._path()}"),
            ("php7:warn", True, self._php_warning),
            ("authz_core:error", True,
             lambda: f"AH01630: client denied by server configuration: /var/www/html/{self._path()}"),
            ("ssl:info", True, lambda: f"AH01964: Connection to child {self.s.rng.randrange(200)} established "
                                       "(server www.example.com:443)"),
            ("proxy_fcgi:error", True, lambda: "AH01071: Got error 'Primary script unknown'"),
            ("core:error", True, lambda: f"AH00126: Invalid URI in request GET /{self._path()} HTTP/1.1"),
            ("reqtimeout:info", True, lambda: "AH01382: Request header read timeout"),
            ("autoindex:error", True,
             lambda: f"AH01276: Cannot serve directory /var/www/html/{self.s.zipf(('uploads', 'images', 'tmp'))}/: "
                     "No matching DirectoryIndex (index.html,index.php) found, and server-generated directory "
                     "index forbidden by Options directive"),
            ("proxy:error", False, lambda: "(111)Connection refused: AH00957: HTTP: attempt to connect to "
                                           "127.0.0.1:8080 (localhost) failed"),
            ("ssl:warn", False, lambda: "AH01909: www.example.com:443:0 server certificate does NOT include "
                                        "an ID which matches the server name"),
            ("mpm_event:notice", False, lambda: "AH00489: Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f configured -- "
                                                "resuming normal operations"),
            ("core:notice", False, lambda: "AH00094: Command line: '/usr/sbin/apache2'"),
            ("mpm_event:notice", False, lambda: "AH00491: caught SIGTERM, shutting down"),
        ]

    def _path(self):
        return self.s.zipf(self.paths, 1.0)

    def _php_warning(self):
        r = self.s.rng.randrange
        problem = self.s.zipf(("Undefined variable $item", "Undefined array key \"id\"",
                               "Trying to access array offset on value of type null",
                               "Division by zero"))
        script = self.s.zipf(self.scripts)
        return (f"PHP Warning:  {problem} in /var/www/html/{script} on line {r(10, 900)}, "
                f"referer: https://www.example.com/{self._path()}")

    def lines(self):
        s = self.s
        while True:
            level, has_client, message = s.zipf(self.templates)
            now = s.tick()
            t = _gmtime(now)
            stamp = (f"{WEEKDAYS[t.tm_wday]} {MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:"
                     f"{t.tm_sec:02d}.{int(now * 1e6) % 1000000:06d} {t.tm_year}")
            pid = s.zipf(self.workers, 0.5)
            client = f" [client {s.zipf(self.clients, 0.9)}:{s.ephemeral_port()}]" if has_client else ""
            line = f"[{stamp}] [{level}] [pid {pid}:tid {139_900_000_000_000 + pid * 4096}]{client} {message()}"
            yield GeneratedLine(line.encode(), True)
            if s.chance(1 / 2000):  # stderr of a CGI script, written raw into the error log
                yield GeneratedLine(b"script not found or unable to stat", False)


# --- JSON-lines application log ---------------------------------------------------------------


class _JsonApp:
    """A web service logging one JSON object a line: requests, queries, jobs, logins, tracebacks."""

    def __init__(self, source):
        self.s = source
        self.users = ["alice", "bob", "carol", "dave", "josé", "zoë", "łukasz", "美咲", "ana-maria", "o'brien",
                      "svc-billing", "svc-reports"]
        self.routes = ["/api/v1/orders/{id}", "/api/v1/users/{id}", "/api/v1/search", "/healthz",
                       "/api/v1/cart", "/static/app.{hex}.js", "/api/v1/orders", "/login"]
        self.tables = ["orders", "users", "sessions", "products", "payments"]
        self.templates = [
            ("info", "app.http", "request finished", self._request),
            ("debug", "app.db", "query executed", self._query),
            ("debug", "app.cache", "cache lookup", self._cache),
            ("info", "app.worker", "job finished", self._job),
            ("info", "app.auth", "login succeeded", self._login),
            ("warning", "app.http", "slow request", self._request),
            ("warning", "app.auth", "login failed", self._login_failed),
            ("info", "app.payments", "payment captured", self._payment),
            ("error", "app.worker", "job failed", self._job_failed),
        ]

    def _trace_id(self):
        return self.s.hex(32)

    def _route(self):
        route = self.s.zipf(self.routes)
        return route.format(id=self.s.rng.randrange(1, 10**6), hex=self.s.hex(8))

    def _request(self):
        s = self.s
        status = s.zipf((200, 304, 201, 404, 401, 500, 502), 1.8)
        return {"method": s.zipf(("GET", "POST", "PUT", "DELETE"), 1.5), "path": self._route(), "status": status,
                "duration_ms": round(s.duration_ms(18), 2), "bytes": s.rng.randrange(60, 90000),
                "user": s.zipf(self.users, 0.8), "remote": s.public_ip(), "trace_id": self._trace_id()}

    def _query(self):
        s = self.s
        table = s.zipf(self.tables)
        return {"table": table, "statement": f"SELECT * FROM {table} WHERE id = $1", "rows": s.zipf(range(50)),
                "duration_ms": round(s.duration_ms(2.5), 3), "trace_id": self._trace_id()}

    def _cache(self):
        s = self.s
        return {"key": f"user:{s.rng.randrange(10**5)}:profile", "hit": s.chance(0.85)}

    def _job(self):
        s = self.s
        return {"queue": s.zipf(("emails", "thumbnails", "reports")), "job_id": s.hex(12),
                "attempt": s.zipf((1, 2, 3), 3.0), "duration_ms": round(s.duration_ms(350), 1)}

    def _login(self):
        return {"user": self.s.zipf(self.users), "remote": self.s.public_ip(), "mfa": self.s.chance(0.4)}

    def _login_failed(self):
        return {"user": self.s.zipf(self.users), "remote": self.s.public_ip(),
                "reason": self.s.zipf(("bad password", "unknown user", "locked"))}

    def _payment(self):
        s = self.s
        return {"order_id": s.rng.randrange(10**6), "amount": round(s.duration_ms(40), 2),
                "currency": s.zipf(("EUR", "USD", "GBP", "JPY")), "user": s.zipf(self.users)}

    def _job_failed(self):
        s = self.s
        value = s.zipf(("abc", "", "12,5", "none"))
        exc = ("Traceback (most recent call last):\n"
               f"  File \"/app/worker/tasks.py\", line {s.rng.randrange(20, 400)}, in run\n"
               "    amount = int(payload[\"amount\"])\n"
               f"ValueError: invalid literal for int() with base 10: '{value}'")
        return {"queue": "reports", "job_id": s.hex(12), "exc_info": exc}

    def lines(self):
        s = self.s
        while True:
            if s.chance(1 / 4000):  # the application server's own plain-text output
                t = _gmtime(s.now)
                yield GeneratedLine(
                    f"[{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} "
                    f"+0000] [{s.rng.randrange(7, 40)}] [INFO] Booting worker with pid: {s.rng.randrange(7, 40)}"
                    .encode(), False)
            level, logger, msg, fields = s.zipf(self.templates)
            now = s.tick()
            t = _gmtime(now)
            record = {"ts": f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
                            f"{t.tm_sec:02d}.{int(now * 1e6) % 1000000:06d}Z",
                      "level": level, "logger": logger, "msg": msg, **fields()}
            yield GeneratedLine(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode(), True)


# Start time (UTC epoch seconds) and mean gap between lines (seconds), after the real logs.
_STYLES = {
    "hdfs": (_Hdfs, 1226262600, 0.012),      # 2008-11-09 20:30, as Loghub's HDFS
    "hadoop": (_Hadoop, 1445191307, 0.05),   # 2015-10-18 18:01, as Loghub's Hadoop
    "syslog": (_Syslog, 1118297180, 4.0),    # 2005-06-09, as Loghub's Linux
    "apache": (_Apache, 1507732372, 0.8),
    "json": (_JsonApp, 1709251200, 0.01),
}


def iter_lines(kind: str, seed: int = 0) -> Iterator[GeneratedLine]:
    """The endless stream of lines of ``kind``, without terminators."""
    if kind not in _STYLES:
        raise ValueError(f"unknown log kind {kind!r}; expected one of {', '.join(KINDS)}")
    style, start, mean_gap = _STYLES[kind]
    source = _Source(seed, start, mean_gap)
    for line in style(source).lines():
        if source.chance(TRUNCATED_LINE_RATE):
            yield GeneratedLine(_cut_short(source, line.text), False)
        else:
            yield line


def iter_chunks(kind: str, n_bytes: int, seed: int = 0, crlf=False, chunk_lines=4096) -> Iterator[bytes]:
    """``generate``'s output in pieces of whole lines, for writing large files in bounded memory."""
    newline = b"\r\n" if crlf else b"\n"
    remaining = n_bytes
    chunk = []
    for line in iter_lines(kind, seed):
        size = len(line.text) + len(newline)
        if size > remaining:
            break
        remaining -= size
        chunk.append(line.text)
        if len(chunk) == chunk_lines:
            yield newline.join(chunk) + newline
            chunk = []
    if chunk:
        yield newline.join(chunk) + newline


def generate(kind: str, n_bytes: int, seed: int = 0, crlf=False) -> bytes:
    """About ``n_bytes`` of log of ``kind``: whole lines, at most ``n_bytes``, less by under a line."""
    return b"".join(iter_chunks(kind, n_bytes, seed, crlf))


_SIZE = re.compile(r"(?i)^\s*(\d+(?:\.\d+)?)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*$")
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
          "g": 10**9, "gb": 10**9, "gib": 2**30}


def parse_size(text: str) -> int:
    """``'10MB'`` -> 10_000_000, ``'2MiB'`` -> 2_097_152, ``'512'`` -> 512."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (examples: 500000, 512kB, 10MB, 1GiB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m corpora.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--size", type=parse_size, default="10MB", help="output size, e.g. 10MB, 512kB (default 10MB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crlf", action="store_true", help="end lines with CRLF instead of LF")
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    parser.add_argument("--print-format", action="store_true", help="print the kind's Loghub format and exit")
    args = parser.parse_args(argv)
    if args.print_format:
        print(FORMATS[args.kind])
        return
    out = open(args.output, "wb") if args.output else sys.stdout.buffer
    try:
        for chunk in iter_chunks(args.kind, args.size, args.seed, args.crlf):
            out.write(chunk)
    except BrokenPipeError:  # `... | head`: stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if args.output:
            out.close()


if __name__ == "__main__":
    main()
