//! What the benchmark reads from /proc: a process's memory, its descendants, and the machine.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Resident memory of one process, in KiB, from /proc/<pid>/status.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// CPU seconds used so far (user + system); 0 when read through [`memory`] alone.
    pub cpu_secs: f64,
    /// VmRSS: resident now.
    pub rss_kb: u64,
    /// VmHWM: the peak resident size over the process's life so far.
    pub hwm_kb: u64,
}

/// `None` once the process is gone (or a zombie, whose status has no Vm lines).
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some(Memory { cpu_secs: 0.0, rss_kb: field("VmRSS:")?, hwm_kb: field("VmHWM:")? })
}

/// The fields of /proc/<pid>/stat after the command name (field 3, the state, is index 0), or of
/// /proc/self/stat.
fn stat_fields(pid: &str) -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    // The state is a letter (read as 0 here); every other field used is a number.
    Some(after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
}

/// Clock ticks per second of the times in /proc/<pid>/stat (USER_HZ: 100 on Linux, which
/// `getconf CLK_TCK` confirms; read once).
fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// User + system CPU seconds a process has used so far.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    // utime and stime are fields 14 and 15, i.e. indices 11 and 12 after the state.
    let f = stat_fields(&pid.to_string())?;
    Some((f.get(11)? + f.get(12)?) as f64 / ticks_per_second())
}

/// User + system CPU seconds of this process's children that have been waited for (cutime and
/// cstime, fields 16 and 17): a Terraform command's own CPU and, since Terraform waits for its
/// provider processes, theirs too.
pub fn children_cpu_secs() -> f64 {
    stat_fields("self").and_then(|f| Some((f.get(13)? + f.get(14)?) as f64 / ticks_per_second())).unwrap_or(0.0)
}

/// The parent pid from /proc/<pid>/stat (the field after the parenthesised command name, which
/// may itself contain spaces and parentheses, hence the search for the last `)`).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Every live process that descends from `root` (without `root`). This kernel has no
/// /proc/<pid>/task/<tid>/children, so the whole process table is scanned for parent links.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let parents: Vec<(u32, u32)> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    found.remove(0);
    found
}

/// The program a process runs: the file name of its argv[0].
fn program_name(pid: u32) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv0 = cmdline.split(|b| *b == 0).next()?;
    let argv0 = String::from_utf8_lossy(argv0);
    Some(Path::new(argv0.as_ref()).file_name()?.to_string_lossy().into_owned())
}

/// Peak memory of each provider process one Terraform command started.
#[derive(Debug, Clone, Default)]
pub struct ProviderMemory {
    /// By pid: the last reading before the process went away (its VmHWM is then the peak).
    pub by_pid: BTreeMap<u32, Memory>,
}

impl ProviderMemory {
    /// The largest peak of any provider process of the command, in KiB.
    pub fn peak_kb(&self) -> Option<u64> {
        self.by_pid.values().map(|m| m.hwm_kb).max()
    }

    /// CPU seconds of all the command's provider processes, as last read (up to one sampling
    /// interval before each exited, so slightly low).
    pub fn cpu_secs(&self) -> f64 {
        self.by_pid.values().map(|m| m.cpu_secs).sum()
    }

    /// The last VmRSS read of the process with the largest peak (the one that did the work),
    /// i.e. its resident size at the end of the command, in KiB.
    pub fn end_rss_kb(&self) -> Option<u64> {
        self.by_pid.values().max_by_key(|m| m.hwm_kb).map(|m| m.rss_kb)
    }
}

/// Watches the descendants of a Terraform process for provider processes (Terraform starts
/// several per command: for the schema, validation, plan and apply) and keeps each one's last
/// memory reading, so the VmHWM read just before it exits is its peak.
pub struct ProviderWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<ProviderMemory>>,
    thread: Option<JoinHandle<()>>,
}

impl ProviderWatch {
    pub fn start(root: u32, program_prefix: &'static str, every: Duration) -> ProviderWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(ProviderMemory::default()));
        let thread = {
            let (stop, seen) = (stop.clone(), seen.clone());
            std::thread::spawn(move || {
                // Terraform's descendants are few (its provider processes), so each is simply
                // re-checked every round; a child caught between fork and exec still has
                // Terraform's name and is recognised on a later round.
                while !stop.load(Ordering::Relaxed) {
                    for pid in descendants(root) {
                        if !program_name(pid).is_some_and(|name| name.starts_with(program_prefix)) {
                            continue;
                        }
                        if let (Some(mut memory), Some(cpu)) = (self::memory(pid), cpu_secs(pid)) {
                            memory.cpu_secs = cpu;
                            seen.lock().unwrap().by_pid.insert(pid, memory);
                        }
                    }
                    std::thread::sleep(every);
                }
            })
        };
        ProviderWatch { stop, seen, thread: Some(thread) }
    }

    pub fn finish(mut self) -> ProviderMemory {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.seen.lock().unwrap().clone()
    }
}

/// Facts about the machine, for the report.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub mem_total_mb: u64,
    pub kernel: String,
    /// /proc/loadavg at the start and the end of the run: the machine is shared, and a load
    /// above the core count means the timings include waiting for a CPU.
    pub load_avg_start: String,
    pub load_avg_end: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_total_kb: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        Machine {
            cpu_model,
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            mem_total_mb: mem_total_kb / 1024,
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            load_avg_start: load_avg(),
            load_avg_end: String::new(),
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_avg() -> String {
    read_trimmed("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path).map(|s| s.trim().to_string()).unwrap_or_default()
}
