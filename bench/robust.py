#!/usr/bin/python3
"""make bench: issue 18's two timed figures, as Markdown on stdout.

    /usr/bin/python3 bench/robust.py AIRTIME RUN_DIR [--reps N] [--idle N] [--probes N]

1. Restart: `airtime serve RUN_DIR --port 0` started REPS times, the wall
   time from the exec to the first 200 of /healthz (fresh connection,
   polled every 2 ms), and the server's peak RSS then (VmHWM).  At the
   horizon (the default serving time) a sealed run is served from its
   snapshot (online.snap); beside it, `--at` one hour before the horizon,
   which replays online.log up to T (the path every restart took before).
   Target: under 0.5 s for the default run directory.
2. Slowloris: one `airtime serve RUN_DIR --port 0` with IDLE connections
   each holding half a request (the request line and one header, never
   the blank line), then PROBES sequential GET /healthz on fresh
   connections: median, p90, max.  Beside it, the same probes with no idle
   connection.  Target: /healthz under 100 ms with 2,000 idle half-open
   connections.

Host wall-clock figures: the load average is printed with them.
"""
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time


def healthz(port, timeout=5.0):
    """One GET /healthz on a fresh connection: (status, seconds)."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            k = s.recv(65536)
            if not k:
                break
            data += k
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return (int(m.group(1)) if m else 0), time.monotonic() - t0


def start(airtime, run_dir, extra=()):
    """Start a server; (process, port, spawn time)."""
    t0 = time.monotonic()
    p = subprocess.Popen([airtime, "serve", run_dir, "--port", "0", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stdout:
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        p.kill()
        sys.exit("robust.py: the server printed no port")
    return p, port, t0


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def vmhwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid):
    """User + system CPU seconds of a process so far (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def restart(airtime, run_dir, reps, extra=()):
    """Seconds from exec to the first 200 of /healthz, CPU seconds then, MiB."""
    secs, cpu, rss = [], [], []
    for _ in range(reps):
        p, port, t0 = start(airtime, run_dir, extra)
        while True:
            try:
                code, _ = healthz(port)
                if code == 200:
                    break
            except OSError:
                pass
            time.sleep(0.002)
        secs.append(time.monotonic() - t0)
        cpu.append(cpu_s(p.pid))
        rss.append(vmhwm_mib(p.pid))
        stop(p)
    return secs, cpu, rss


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def probes(port, n):
    out = []
    for _ in range(n):
        code, s = healthz(port)
        if code != 200:
            sys.exit(f"robust.py: /healthz answered {code}")
        out.append(s * 1000)
    return out


def slowloris(airtime, run_dir, idle, n_probes):
    need = idle + 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    p, port, _ = start(airtime, run_dir)
    try:
        probes(port, 3)                       # warm
        base = probes(port, n_probes)
        socks = []
        t0 = time.monotonic()
        for _ in range(idle):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            socks.append(s)
        opened = time.monotonic() - t0
        time.sleep(0.2)
        loaded = probes(port, n_probes)
        # how many the server still held (not closed, not answered) at the end
        still = 0
        for s in socks:
            try:
                s.setblocking(False)
                s.recv(1)                     # data or EOF: answered or closed
            except BlockingIOError:
                still += 1
            except OSError:
                pass
            s.close()
    finally:
        stop(p)
    return base, loaded, opened, still


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    airtime, run_dir = args[0], args[1]
    opt = {"--reps": 5, "--idle": 2000, "--probes": 21}
    rest = args[2:]
    for i in range(0, len(rest) - 1, 2):
        opt[rest[i]] = int(rest[i + 1])
    reps, idle, n = opt["--reps"], opt["--idle"], opt["--probes"]
    load = open("/proc/loadavg").read().split()[:3]
    log = os.path.getsize(os.path.join(run_dir, "online.log"))
    snap_path = os.path.join(run_dir, "online.snap")
    snap = os.path.getsize(snap_path) if os.path.exists(snap_path) else 0
    p, port, _ = start(airtime, run_dir)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    body = b""
    while True:
        k = s.recv(65536)
        if not k:
            break
        body += k
    s.close()
    stop(p)
    horizon_h = int(re.search(rb'"horizon_us":\s*(\d+)', body).group(1)) / 3.6e9
    at = f"{horizon_h - 1:g}h"

    print("## Robustness (issue 18): restart and idle half-open connections")
    print()
    print(f"Run directory: `airtime run scenarios/default.ini --out DIR` (online.log {log / 1048576:.1f} MiB,"
          f" online.snap {snap / 1048576:.2f} MiB); load average at the start of this section:"
          f" {' '.join(load)}.  Command: `/usr/bin/python3 bench/robust.py ./airtime DIR`.")
    print()
    print("### Restart: exec to the first answer of /healthz")
    print()
    print(f"`airtime serve DIR --port 0` x{reps}: wall time from the exec to the first 200 of"
          " /healthz (polled every 2 ms on fresh connections), and the server's peak RSS then.")
    print()
    print("| serving time | how the store is loaded | wall, median (s) | runs (s) | CPU user+sys, median (s) | peak RSS (MiB) | target |")
    print("|---|---|---:|---|---:|---:|---|")
    secs, cpu, rss = restart(airtime, run_dir, reps)
    print(f"| the horizon (default) | the sealed snapshot online.snap | **{statistics.median(secs):.3f}** |"
          f" {' '.join(f'{x:.3f}' for x in secs)} | {statistics.median(cpu):.2f} |"
          f" {statistics.median(rss):.0f} | < 0.5 s |")
    secs, cpu, rss = restart(airtime, run_dir, reps, ("--at", at))
    print(f"| `--at {at}` (1 h before it) | online.log replayed up to T | {statistics.median(secs):.3f} |"
          f" {' '.join(f'{x:.3f}' for x in secs)} | {statistics.median(cpu):.2f} |"
          f" {statistics.median(rss):.0f} | context |")
    print()
    base, loaded, opened, still = slowloris(airtime, run_dir, idle, n)
    print(f"### /healthz beside {idle:,} idle half-open connections")
    print()
    print(f"`airtime serve DIR --port 0` (defaults: 10 s idle timeout, --max-connections 8192);"
          f" {idle:,} connections each sent `GET /healthz HTTP/1.1` and one header, never the"
          f" blank line (opened in {opened:.2f} s), then {n} sequential GET /healthz on fresh"
          f" connections; beside it the same probes with none open.  {still:,} of the {idle:,}"
          " were still open (held by the server, unanswered) after the probes.")
    print()
    print("| idle half-open connections | median (ms) | p90 (ms) | max (ms) | target |")
    print("|---:|---:|---:|---:|---|")
    print(f"| 0 | {statistics.median(base):.2f} | {pct(base, 0.9):.2f} | {max(base):.2f} | context |")
    print(f"| {idle:,} | **{statistics.median(loaded):.2f}** | {pct(loaded, 0.9):.2f} |"
          f" {max(loaded):.2f} | < 100 ms |")
    print()


if __name__ == "__main__":
    main()
