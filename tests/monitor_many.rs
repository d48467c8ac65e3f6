//! Many guests under the monitor: machine memory grows by exactly one
//! guest's RAM plus a fixed per-guest reserve for each guest added, and 64
//! copies of a guest all run to the end with the right output.

use std::path::PathBuf;

use cpu::devices::{Console, SharedBuffer};
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use monitor::shadow::ShadowMmu;
use monitor::{GuestImage, GuestSpec, Monitor, DEFAULT_SHADOW_FRAMES};

const PAGE: u64 = 4096;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn hello(memory: u64) -> (GuestSpec, SharedBuffer) {
    let path = root().join("guest-programs/hello.s");
    let elf = asm::assemble_file(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let img = Image::from_elf(&elf, RAM_BASE..RAM_BASE + memory).unwrap_or_else(|e| panic!("{e}"));
    let (console, out) = Console::buffered(&[]);
    let spec = GuestSpec {
        name: "hello".into(),
        image: GuestImage::from(&img),
        memory,
        console,
        max_instructions: 10_000_000,
    };
    (spec, out)
}

fn machine_memory(guests: u64, memory: u64) -> u64 {
    let mut m: Monitor = Monitor::new();
    for _ in 0..guests {
        m.add_guest(hello(memory).0);
    }
    m.machine_memory().expect("fits")
}

#[test]
fn machine_memory_is_linear_in_the_number_of_guests() {
    for memory in [4u64 << 20, 16 << 20] {
        // The per-guest reserve: the shadow page-table pool.
        let reserve = (ShadowMmu::bare_frames(memory) + DEFAULT_SHADOW_FRAMES) * PAGE;
        assert!(
            reserve <= 1 << 20,
            "reserve {reserve:#x} is small and fixed"
        );
        for n in [1u64, 2, 8, 64] {
            assert_eq!(
                machine_memory(n, memory),
                n * (memory + reserve),
                "{n} guests of {memory:#x}: N·M + N·reserve, no more"
            );
        }
    }
}

#[test]
fn sixty_four_guests_all_finish_with_their_output() {
    let expected = std::fs::read(root().join("guest-programs/hello.expected")).unwrap();
    let mut m: Monitor = Monitor::new();
    m.set_digest(true);
    let mut outs = Vec::new();
    for _ in 0..64 {
        let (s, out) = hello(4 << 20);
        m.add_guest(s);
        outs.push(out);
    }
    let reports = m.run(100).expect("runs");
    assert_eq!(reports.len(), 64);
    let retired = reports[0].retired;
    for (r, out) in reports.iter().zip(&outs) {
        assert_eq!(r.end.code(), 0, "{}", r.end);
        assert_eq!(r.retired, retired, "every copy retires the same stream");
        assert!(r.digest.is_some(), "the digest was asked for");
        assert_eq!(r.digest, reports[0].digest);
        assert!(r.stats.world_switches > 1, "they took turns");
        let got = String::from_utf8_lossy(&out.contents()).replace("\r\n", "\n");
        assert_eq!(got.as_bytes(), &expected[..]);
    }
}
