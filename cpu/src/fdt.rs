//! The flattened device tree (FDT, the Devicetree Specification v0.4,
//! chapter 5 "Flattened Devicetree (DTB) Format") that describes this
//! machine to a guest, and where it goes in the guest's RAM.
//!
//! A guest finds its device tree at the address in `a1` at entry (the RISC-V
//! boot convention, which QEMU's `virt` board and OpenSBI follow): U-Boot
//! and Linux read their memory size, timer frequency and console from it.
//! [`build`] writes the tree of book/src/machine.md's machine with a given
//! amount of RAM, with the node names and properties QEMU 7.2's `virt`
//! board uses for the devices this machine has (its payload view, after
//! OpenSBI), and nothing for the devices it has not. The deliberate
//! differences are listed in [`DIFFERENCES_FROM_QEMU`] and in the book.
//!
//! [`place`] puts the tree where QEMU puts it (the 2 MiB-aligned address
//! just below the end of RAM, or below 3 GiB), or lower down when the
//! guest's image is there, so the two never overlap.

use std::ops::Range;

use vm_fdt::{FdtWriter, FdtWriterResult};

use crate::devices::{FINISHER_BASE, FINISHER_SIZE, UART_BASE, UART_SIZE};
use crate::hart::RAM_BASE;

/// `time` ticks per second: the `/cpus/timebase-frequency` (book: "Time").
pub const TIMEBASE_FREQUENCY: u32 = 10_000_000;

/// The UART's input clock, QEMU's value (`0x384000`, 3.6864 MHz): drivers
/// compute their baud-rate divisors from it (U-Boot refuses a 16550
/// without one).
pub const UART_CLOCK_FREQUENCY: u32 = 3_686_400;

/// The hart's `riscv,isa` string: the extensions book/src/machine.md
/// promises ("The hart"), in the ISA naming conventions of the unprivileged
/// spec (chapter 29): base and single-letter extensions, then `_z...`, as
/// QEMU 7.2 writes its own (`rv64imafdch_zicsr_zifencei_...` for its
/// default cpu; RV64IMAC here).
pub const ISA: &str = "rv64imac_zicsr_zifencei";

/// The `model` and `compatible` of the root node: QEMU's `virt` board says
/// `riscv-virtio,qemu` / `riscv-virtio`; this machine is that board's
/// kind, trapvisor's model of it.
pub const MODEL: &str = "riscv-virtio,trapvisor";
pub const COMPATIBLE: &str = "riscv-virtio";

/// Where the tree differs from what QEMU's `virt` board (with OpenSBI)
/// hands its payload for the same RAM size, and why: each node or property
/// named here is left out or changed on purpose. The test against QEMU's
/// tree checks that these are the only differences.
pub const DIFFERENCES_FROM_QEMU: &[(&str, &str)] = &[
    ("/model", "names trapvisor (QEMU: riscv-virtio,qemu)"),
    (
        "/cpus/cpu@0/riscv,isa",
        "the extensions this hart has (QEMU's has F, D, H, B...)",
    ),
    (
        "/cpus/cpu@0/mmu-type",
        "riscv,sv39: the only paging mode here (QEMU: riscv,sv48)",
    ),
    (
        "/cpus/cpu@0/interrupt-controller/#address-cells",
        "0, which dtc asks of an interrupt provider (QEMU leaves it out and dtc warns)",
    ),
    (
        "/chosen/rng-seed",
        "no random seed: runs are deterministic",
    ),
    (
        "/soc/serial@10000000/interrupts",
        "no interrupt line: there is no PLIC (the UART is polled)",
    ),
    (
        "/soc/serial@10000000/interrupt-parent",
        "no interrupt line: there is no PLIC",
    ),
    (
        "/soc/plic@c000000",
        "no platform-level interrupt controller",
    ),
    (
        "/soc/clint@2000000",
        "no CLINT: the timer and IPIs are reached through the SBI (as from S-mode on QEMU)",
    ),
    ("/soc/rtc@101000", "no real-time clock"),
    ("/soc/pci@30000000", "no PCI"),
    ("/soc/virtio_mmio@10001000", "no virtio devices"),
    ("/soc/virtio_mmio@10002000", "no virtio devices"),
    ("/soc/virtio_mmio@10003000", "no virtio devices"),
    ("/soc/virtio_mmio@10004000", "no virtio devices"),
    ("/soc/virtio_mmio@10005000", "no virtio devices"),
    ("/soc/virtio_mmio@10006000", "no virtio devices"),
    ("/soc/virtio_mmio@10007000", "no virtio devices"),
    ("/soc/virtio_mmio@10008000", "no virtio devices"),
    ("/flash@20000000", "no flash"),
    ("/fw-cfg@10100000", "no QEMU firmware configuration device"),
    ("/platform-bus@4000000", "no dynamic platform devices"),
    ("/pmu", "no performance-monitoring unit (the SBI PMU is absent)"),
    (
        "/reserved-memory",
        "no firmware in RAM: OpenSBI reserves 0x80000000..0x80080000 on QEMU, here all of RAM is the guest's",
    ),
];

// phandles: the numbers QEMU gives the same nodes.
const PHANDLE_CPU0: u32 = 1;
const PHANDLE_CPU0_INTC: u32 = 2;
const PHANDLE_TEST: u32 = 4;

/// The device tree blob of this machine with `ram_size` bytes of RAM at
/// [`RAM_BASE`].
pub fn build(ram_size: u64) -> Vec<u8> {
    // Every name and value here is fixed by this function (the RAM size is
    // a number in a cell): a failure would be a bug in it, which the tests
    // would catch for any size.
    write_tree(ram_size).expect("the machine's device tree is well-formed")
}

fn write_tree(ram_size: u64) -> FdtWriterResult<Vec<u8>> {
    let mut fdt = FdtWriter::new()?;
    let root = fdt.begin_node("")?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_string("compatible", COMPATIBLE)?;
    fdt.property_string("model", MODEL)?;

    let chosen = fdt.begin_node("chosen")?;
    fdt.property_string("stdout-path", &format!("/soc/serial@{UART_BASE:x}"))?;
    fdt.end_node(chosen)?;

    // The test finisher as a system controller: writing 0x5555 at offset 0
    // powers off, 0x7777 reboots (QEMU's nodes, which Linux's and U-Boot's
    // syscon drivers use).
    for (name, compatible, value) in [
        ("poweroff", "syscon-poweroff", 0x5555),
        ("reboot", "syscon-reboot", 0x7777),
    ] {
        let node = fdt.begin_node(name)?;
        fdt.property_u32("value", value)?;
        fdt.property_u32("offset", 0)?;
        fdt.property_u32("regmap", PHANDLE_TEST)?;
        fdt.property_string("compatible", compatible)?;
        fdt.end_node(node)?;
    }

    let memory = fdt.begin_node(&format!("memory@{RAM_BASE:x}"))?;
    fdt.property_string("device_type", "memory")?;
    fdt.property_array_u64("reg", &[RAM_BASE, ram_size])?;
    fdt.end_node(memory)?;

    let cpus = fdt.begin_node("cpus")?;
    fdt.property_u32("#address-cells", 1)?;
    fdt.property_u32("#size-cells", 0)?;
    fdt.property_u32("timebase-frequency", TIMEBASE_FREQUENCY)?;
    let cpu = fdt.begin_node("cpu@0")?;
    fdt.property_phandle(PHANDLE_CPU0)?;
    fdt.property_string("device_type", "cpu")?;
    fdt.property_u32("reg", 0)?;
    fdt.property_string("status", "okay")?;
    fdt.property_string("compatible", "riscv")?;
    fdt.property_string("riscv,isa", ISA)?;
    fdt.property_string("mmu-type", "riscv,sv39")?;
    // The hart's own interrupt controller (the `sie`/`sip` bits): what an
    // operating system's timer and software interrupts hang off.
    let intc = fdt.begin_node("interrupt-controller")?;
    fdt.property_u32("#address-cells", 0)?;
    fdt.property_u32("#interrupt-cells", 1)?;
    fdt.property_null("interrupt-controller")?;
    fdt.property_string("compatible", "riscv,cpu-intc")?;
    fdt.property_phandle(PHANDLE_CPU0_INTC)?;
    fdt.end_node(intc)?;
    fdt.end_node(cpu)?;
    let map = fdt.begin_node("cpu-map")?;
    let cluster = fdt.begin_node("cluster0")?;
    let core = fdt.begin_node("core0")?;
    fdt.property_u32("cpu", PHANDLE_CPU0)?;
    fdt.end_node(core)?;
    fdt.end_node(cluster)?;
    fdt.end_node(map)?;
    fdt.end_node(cpus)?;

    let soc = fdt.begin_node("soc")?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_string("compatible", "simple-bus")?;
    fdt.property_null("ranges")?;
    let serial = fdt.begin_node(&format!("serial@{UART_BASE:x}"))?;
    fdt.property_u32("clock-frequency", UART_CLOCK_FREQUENCY)?;
    fdt.property_array_u64("reg", &[UART_BASE, UART_SIZE])?;
    fdt.property_string("compatible", "ns16550a")?;
    fdt.end_node(serial)?;
    let test = fdt.begin_node(&format!("test@{FINISHER_BASE:x}"))?;
    fdt.property_phandle(PHANDLE_TEST)?;
    fdt.property_array_u64("reg", &[FINISHER_BASE, FINISHER_SIZE])?;
    fdt.property_string_list(
        "compatible",
        vec![
            "sifive,test1".into(),
            "sifive,test0".into(),
            "syscon".into(),
        ],
    )?;
    fdt.end_node(test)?;
    fdt.end_node(soc)?;

    fdt.end_node(root)?;
    fdt.finish()
}

/// A device tree ready to copy into guest RAM at `addr` (what `a1` holds
/// at entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dtb {
    pub addr: u64,
    pub blob: Vec<u8>,
}

/// The tree of a machine with `ram_size` bytes of RAM, placed away from
/// the guest's image (`occupied`: its segments, `.bss` included). `None`
/// if the image leaves no room for it below QEMU's address: `trapvisor run`
/// refuses such an image before it runs (see [`place`]).
pub fn for_image(ram_size: u64, occupied: &[Range<u64>]) -> Option<Dtb> {
    let blob = build(ram_size);
    let ram = RAM_BASE..RAM_BASE.checked_add(ram_size)?;
    let addr = place(ram, blob.len() as u64, occupied)?;
    Some(Dtb { addr, blob })
}

/// The RAM an image's segments take, `.bss` included: what the device tree
/// must stay clear of.
pub fn occupied(image: &crate::image::Image) -> Vec<Range<u64>> {
    image
        .segments
        .iter()
        .map(|s| s.addr..s.addr.saturating_add(s.mem_size.max(s.data.len() as u64)))
        .collect()
}

/// QEMU keeps the tree below this address, so that 32-bit software can
/// reach it (`riscv_load_fdt` in QEMU 7.2's `hw/riscv/boot.c`).
const BELOW_3_GIB: u64 = 0xc000_0000;
/// QEMU aligns the tree's address to 2 MiB (a megapage).
const QEMU_ALIGN: u64 = 2 << 20;
/// When the image is in QEMU's place, the tree moves down in steps of
/// pages (the FDT format asks for 8-byte alignment).
const FALLBACK_ALIGN: u64 = 4096;

/// Where a tree of `size` bytes goes in `ram`, away from every range of
/// `occupied` (the guest image's segments, `.bss` included): QEMU's
/// address, `align_down(min(RAM end, 3 GiB) - size, 2 MiB)`, if that is
/// free; else the highest page-aligned address below it that is. `None`
/// if the tree fits nowhere below QEMU's address.
pub fn place(ram: Range<u64>, size: u64, occupied: &[Range<u64>]) -> Option<u64> {
    let top = if ram.start < BELOW_3_GIB {
        ram.end.min(BELOW_3_GIB)
    } else {
        ram.end
    };
    let mut addr = top.checked_sub(size)? & !(QEMU_ALIGN - 1);
    loop {
        if addr < ram.start {
            return None;
        }
        let end = addr.checked_add(size)?;
        match occupied.iter().find(|r| r.start < end && addr < r.end) {
            None => return Some(addr),
            Some(r) => addr = r.start.checked_sub(size)? & !(FALLBACK_ALIGN - 1),
        }
    }
}

#[cfg(test)]
// A guest image of one segment is one range in a slice, not a mistake.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A minimal reader of the structure block (spec 5.4), enough for the
    /// tests: every node's path and its properties' raw values.
    fn read(blob: &[u8]) -> BTreeMap<String, BTreeMap<String, Vec<u8>>> {
        let be32 = |off: usize| u32::from_be_bytes(blob[off..off + 4].try_into().unwrap());
        assert_eq!(be32(0), 0xd00d_feed, "magic");
        assert_eq!(be32(4) as usize, blob.len(), "totalsize");
        let (structs, strings) = (be32(8) as usize, be32(12) as usize);
        let mut nodes = BTreeMap::new();
        let mut path: Vec<String> = Vec::new();
        let mut at = structs;
        let name_at = |off: usize| {
            let end = off + blob[off..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(blob[off..end].to_vec()).unwrap()
        };
        loop {
            let token = be32(at);
            at += 4;
            match token {
                1 => {
                    let name = name_at(at);
                    at = (at + name.len() + 1).next_multiple_of(4);
                    path.push(name);
                    nodes.insert(full(&path), BTreeMap::new());
                }
                2 => {
                    path.pop();
                }
                3 => {
                    let (len, nameoff) = (be32(at) as usize, be32(at + 4) as usize);
                    let value = blob[at + 8..at + 8 + len].to_vec();
                    at = (at + 8 + len).next_multiple_of(4);
                    let node = nodes.get_mut(&full(&path)).unwrap();
                    node.insert(name_at(strings + nameoff), value);
                }
                4 => {}
                9 => break,
                t => panic!("bad token {t}"),
            }
        }
        nodes
    }

    fn full(path: &[String]) -> String {
        match path.len() {
            0 | 1 => "/".to_string(),
            _ => path[1..].iter().map(|p| format!("/{p}")).collect(),
        }
    }

    fn cells(v: &[u8]) -> Vec<u32> {
        v.chunks(4)
            .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn describes_memory_timer_console_and_finisher() {
        let tree = read(&build(128 << 20));
        let memory = &tree["/memory@80000000"];
        assert_eq!(cells(&memory["reg"]), [0, 0x8000_0000, 0, 0x0800_0000]);
        assert_eq!(memory["device_type"], b"memory\0");
        assert_eq!(
            cells(&tree["/cpus"]["timebase-frequency"]),
            [10_000_000],
            "time counts at 10 MHz"
        );
        let cpu = &tree["/cpus/cpu@0"];
        assert_eq!(cpu["riscv,isa"], format!("{ISA}\0").as_bytes());
        assert_eq!(cpu["mmu-type"], b"riscv,sv39\0");
        assert!(tree["/cpus/cpu@0/interrupt-controller"].contains_key("interrupt-controller"));
        assert_eq!(
            tree["/chosen"]["stdout-path"], b"/soc/serial@10000000\0",
            "the console is the UART"
        );
        let uart = &tree["/soc/serial@10000000"];
        assert_eq!(uart["compatible"], b"ns16550a\0");
        assert_eq!(cells(&uart["clock-frequency"]), [3_686_400]);
        assert_eq!(cells(&uart["reg"]), [0, 0x1000_0000, 0, 0x100]);
        let test = &tree["/soc/test@100000"];
        assert_eq!(test["compatible"], b"sifive,test1\0sifive,test0\0syscon\0");
        assert_eq!(cells(&test["phandle"]), [PHANDLE_TEST]);
        assert_eq!(cells(&tree["/poweroff"]["value"]), [0x5555]);
        assert_eq!(cells(&tree["/reboot"]["value"]), [0x7777]);
        assert_eq!(cells(&tree["/reboot"]["regmap"]), [PHANDLE_TEST]);
    }

    #[test]
    fn memory_node_follows_the_ram_size() {
        for size in [4096, 1 << 20, 128 << 20, 1 << 30, 16 << 30, 64 << 30] {
            let tree = read(&build(size));
            let reg = cells(&tree["/memory@80000000"]["reg"]);
            assert_eq!(
                u64::from(reg[2]) << 32 | u64::from(reg[3]),
                size,
                "{size:#x}"
            );
        }
    }

    /// QEMU 7.2's `virt` board with 128 MiB, as its OpenSBI 1.1 hands it
    /// to the payload in `a1` (dumped by a guest on QEMU; regenerate with
    /// `scripts/fdt-check.sh --qemu-dtb`).
    const QEMU_128M: &[u8] = include_bytes!("../tests/data/qemu-virt-128m.dtb");

    /// Every node and property of ours is QEMU's, with QEMU's value, except
    /// the differences listed on purpose; and everything of QEMU's that we
    /// leave out is listed too.
    #[test]
    fn same_as_qemu_virt_but_for_the_listed_differences() {
        let ours = read(&build(128 << 20));
        let qemu = read(QEMU_128M);
        let listed = |path: &str| DIFFERENCES_FROM_QEMU.iter().any(|(p, _)| *p == path);
        let under_listed = |path: &str| {
            DIFFERENCES_FROM_QEMU
                .iter()
                .any(|(p, _)| path == *p || path.starts_with(&format!("{p}/")))
        };
        for (path, props) in &ours {
            let Some(theirs) = qemu.get(path) else {
                panic!("{path}: not a node of QEMU's tree");
            };
            for (name, value) in props {
                let prop = format!("{}/{name}", path.trim_end_matches('/'));
                match theirs.get(name) {
                    Some(v) if v == value => {
                        assert!(!listed(&prop), "{prop} is listed but equal to QEMU's")
                    }
                    _ => assert!(listed(&prop), "{prop} differs from QEMU's: {value:?}"),
                }
            }
            for name in theirs.keys() {
                let prop = format!("{}/{name}", path.trim_end_matches('/'));
                if !props.contains_key(name) {
                    assert!(listed(&prop), "QEMU's {prop} is missing");
                }
            }
        }
        for path in qemu.keys() {
            if !ours.contains_key(path) {
                assert!(under_listed(path), "QEMU's node {path} is missing");
            }
        }
        for (path, _) in DIFFERENCES_FROM_QEMU {
            let (node, prop) = path.rsplit_once('/').unwrap();
            let node = if node.is_empty() { "/" } else { node };
            let exists = |t: &BTreeMap<String, BTreeMap<String, Vec<u8>>>| {
                t.contains_key(*path) || t.get(node).is_some_and(|n| n.contains_key(prop))
            };
            assert!(
                exists(&ours) || exists(&qemu),
                "{path} is listed but in neither tree"
            );
        }
    }

    #[test]
    fn placed_where_qemu_puts_it() {
        let ram = |size: u64| RAM_BASE..RAM_BASE + size;
        let image: &[Range<u64>] = &[0x8020_0000..0x8030_0000];
        // a1 on QEMU 7.2 for -m 128M, 64M, 16M, 8M, 1G, 4G (beyond 3 GiB).
        for (size, want) in [
            (128 << 20, 0x87e0_0000),
            (64 << 20, 0x83e0_0000),
            (16 << 20, 0x80e0_0000),
            (8 << 20, 0x8060_0000),
            (1 << 30, 0xbfe0_0000),
            (4 << 30, 0xbfe0_0000),
        ] {
            assert_eq!(place(ram(size), 0x1000, image), Some(want), "{size:#x}");
        }
    }

    #[test]
    fn never_on_the_image() {
        let ram = RAM_BASE..RAM_BASE + (4 << 20);
        // QEMU would put it at 0x80200000, on the image: it goes below.
        let image: &[Range<u64>] = &[0x8020_0000..0x8021_0000];
        assert_eq!(place(ram.clone(), 0x1400, image), Some(0x801f_e000));
        // An image filling RAM above 0x80001000 leaves no room for 2 pages.
        let full: &[Range<u64>] = &[0x8000_1000..0x8040_0000];
        assert_eq!(place(ram.clone(), 0x2000, full), None);
        assert_eq!(place(ram.clone(), 0x1000, full), Some(0x8000_0000));
        // Several segments in the way.
        let segs = [0x801f_f000..0x8030_0000, 0x8010_0000..0x801f_f000];
        assert_eq!(place(ram, 0x800, &segs), Some(0x800f_f000));
        // A tree bigger than RAM.
        assert_eq!(place(RAM_BASE..RAM_BASE + 0x1000, 0x2000, &[]), None);
    }
}
