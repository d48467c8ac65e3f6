//! Program pairs `scripts/soak.sh` (or CI's random programs) found running differently, as
//! proptest shrank them, kept as fixed cases of the four-way check (the
//! soak's `cargo test` batches draw new programs each time, so a failure
//! would not come back on its own). Their data pages were random bytes that
//! make no difference to the failure: they are zero here.

use super::{Handler, Program, DATA_SIZE};

/// A found pair, as made: its two programs and the quantum.
pub(super) type MakePair = fn() -> (Program, Program, u64);

/// Each found pair, by name.
pub(super) const PAIRS: &[(&str, MakePair)] = &[
    (
        "timer_deadline_past_the_clock",
        timer_deadline_past_the_clock,
    ),
    ("running_into_the_device_tree", running_into_the_device_tree),
    (
        "bt_step_reads_execute_only_code",
        bt_step_reads_execute_only_code,
    ),
    (
        "bt_soak_instruction_fetch_storm",
        bt_soak_instruction_fetch_storm,
    ),
    (
        "bt_soak_store_across_pages_bare",
        bt_soak_store_across_pages_bare,
    ),
];

/// 2026-12, quantum 11: `b` sets the timer to `u64::MAX - 1`, which `time`
/// can never reach (the clock stops at `u64::MAX` ticks, `time` at
/// `u64::MAX / 10`), enables STIE, `wfi`s (the clock runs to its end) and
/// `sret`s into U-mode. Natively no interrupt comes and the `ecall` at
/// 0x802002a4 traps from U-mode ('H'); the monitor compared the clock with
/// the deadline times ten, saturated to `u64::MAX`, so it injected a timer
/// interrupt there and then before every instruction ('E' 20,000 times).
fn timer_deadline_past_the_clock() -> (Program, Program, u64) {
    let a = Program {
        body: vec![
            0x00000037, 0x00000037, 0x00000037, 0x00000037, 0x00000037, 0x00000037, 0x00000037,
            0x00000037, 0x10035e73, 0x01f4a423, 0xe36436af, 0x00333983, 0x0223e003, 0x03b5ff33,
            0x143253f3, 0x0072159b,
        ],
        regs: vec![
            0x80213717,
            0x4d0579069fb1eb83,
            0x80210541,
            0x10000075,
            0x10000061,
            0x80200efc,
            0x80200ba8,
            0x10000027,
            0x80211844,
            0x97f531f6607edf72,
            0x100000be,
            0x80212d54,
            0x16,
            0x1e,
            0x80211f6a,
            0x35,
            0x80200c14,
            0x80200568,
            0xa53d0a7c051d8892,
            0x802007b0,
            0xbeac48c4260dbb76,
            0x0,
            0x10,
            0x80211277,
            0xf8b62ddcc472e320,
            0x802007e4,
            0x80200e08,
            0x802109f4,
            0x3,
            0x33a386065deec1d3,
            0x802113e6,
            0x80210172,
        ],
        handler: Handler::Skip,
        paging: Some((None, None, [0xdb, 0xc3, 0xd7, 0xc5])),
        user: false,
        data: vec![0; DATA_SIZE],
    };
    let b = Program {
        body: vec![
            0x0014c103, 0x02254733, 0x007b8933, 0x412f5fbb, 0x00138d03, 0x0332e703, 0x00a33d03,
            0x00000813, 0x00c33323, 0x140cbc73, 0x12000073, 0x0054cd83, 0x1ac4a22f, 0x1068aa73,
            0x00000073, 0xc00cb0f3, 0x12000073, 0x00f3c283, 0x1cb61d37, 0x01ac1113, 0x00336203,
            0x0054a423, 0x8cfd5ea8, 0x14062cf3, 0x00000073, 0x01632aa3, 0xfb2da316, 0x533405ad,
            0x00100073, 0x03555513, 0xc16fd883, 0x01b302a3, 0x1065f073, 0x1000d273, 0x00528883,
            0x00b3ad83, 0x8054b02f, 0x0000100f, 0x10029ff3, 0x14459e73, 0x01f33423, 0x00d4e603,
            0x00000073, 0x300a27f3, 0x2824b19c, 0x349b049d, 0x00a3b503, 0xc3f3b22f, 0x00d3d303,
            0x00c31903, 0x7e5cc5fe, 0x00000000, 0xa1553c97, 0xdd84efc3, 0x30200073, 0x00000073,
            0x14323e73, 0x6614b52f, 0x41b258b3, 0x013e5d63, 0x40cf539b, 0x0053d633, 0x03761d93,
            0xe29436af, 0x1424b1f3, 0xaa790000, 0x022a27b3, 0x41df55b3, 0x032515b3, 0x028fbe33,
            0x0241e833, 0x0074ae03, 0x104a9ef3, 0x66442eaf, 0x00e38183, 0x00731483, 0x00e34f83,
            0x0084bd03, 0xffa58fe3, 0x0034a283, 0x00130c83, 0x63a32eaf, 0x00e3a7a3, 0xffe3d583,
            0xffb43303, 0x0000100f, 0x734ec011, 0x00000073, 0x23654ccb, 0x0013c303, 0x03ca1b63,
            0x00100893, 0x1043a773, 0x0c12beaf, 0x106258f3, 0x5fd601b7, 0x141513f3, 0x338b000a,
            0x00000893, 0x03cc1d33, 0xc0179573, 0x0072dfbb, 0x141d74f3, 0x00933d83, 0x0947c575,
            0x00000073, 0x01338d03, 0x00a4ee03, 0x3006bc73, 0x00bad333, 0x05c91963, 0x12000073,
            0x1d5d55ae, 0x10033e73, 0x00100073, 0x0253ab03, 0x0000100f, 0x000395a3, 0xa7c4aeaf,
            0x01b54f33, 0x000387a3, 0x00738e83, 0xa98f7a93, 0x0054b883, 0x47e58567, 0xe4f2b0af,
            0x10500073, 0x00831c03, 0x1044d973, 0x7c04fff3, 0x8193bb2f, 0x00000813, 0x00000073,
            0x104918f3, 0x10200073, 0x01330623, 0x00200893, 0x00d38523, 0x00000073, 0x00597eb3,
            0x00000073, 0x0014a803, 0xe343aaaf, 0x00100073, 0x140d9ef3, 0x00138f03, 0x00133283,
            0x57634d93, 0x1e560005, 0x144b19f3, 0x1447f7f3, 0xf29e9f2f, 0x4182591b, 0x001e50b3,
            0x00000813, 0x00848203, 0x01f2ad23, 0x00f31a83, 0xa303b62f, 0x657ef969, 0xa09c0000,
            0x03901733, 0x00e081b3, 0x14409873, 0x1406d8f3, 0x1f9a558f, 0xa7d3f593, 0x27e3bdaf,
            0xfa1642e3, 0x1444b4f3, 0x00000073, 0x100e1cf3, 0x964a4cc0, 0x41110b33, 0x12000073,
            0xfe09000a, 0x01731223, 0x009dd93b, 0xddba0a1b, 0x10493473, 0x018406a3, 0x30003e73,
            0x01538623, 0x10bb44b9, 0x0075e1b3, 0xc018a4f3, 0x00b25413, 0x141a2173, 0x0053ea03,
            0x0000100f, 0x00a3bb83, 0x142c7cf3, 0xc334fd17, 0x036faeb3, 0xc00957f3, 0x03533a23,
            0x00c4bb03, 0x1048a8f3, 0x00100073, 0x144fa2f3, 0x00733983, 0xc0173773, 0x0e14b0af,
            0xc005b8f3, 0x1437b9f3, 0x0120123b, 0x03c2e163, 0xd9b6c05a, 0x1053d273, 0xff0f14e3,
            0x7b74f593, 0x74dd0005, 0x00f32183, 0x5ca66793, 0xfa3344e3, 0x467dad34, 0x0083e603,
            0x03176533, 0x0143a6a3, 0x01000893, 0x4173ae2f, 0x00231c03, 0xc0027073, 0x00000073,
            0x10500073, 0x016c2233, 0x6532bf2f, 0xe102abaf, 0x10200073, 0x141362f3, 0x1c1336af,
            0x020f093b, 0x0043d203, 0x03ba5a93, 0x024b6ebb, 0xa2da1ffd, 0x0083ae03, 0x017268b3,
            0x033789bb, 0x419fd693, 0x12000073, 0xf3bba113, 0xa024b22f, 0x00f39503, 0x00000813,
            0x03994bb3, 0x0000100f, 0x1b73a52f, 0x14117773, 0x0000100f, 0x0376e43b, 0x011ae0b3,
            0x01943da3, 0x00b3e783, 0x12060005, 0x1418f9f3, 0xc018d773,
        ],
        regs: vec![
            0x80200028,
            0x38,
            0x100000ae,
            0x100000fa,
            0x80210979,
            0x8f700eff74dc4c99,
            0x80200eb0,
            0x100000b3,
            0x6,
            0x80200b34,
            0x802124e8,
            0x30,
            0x4dd241ffb4acabce,
            0x80200204,
            0x10000045,
            0x391cbc815e768e78,
            0x22,
            0x1f,
            0xfb0d1ceab8def8e3,
            0x100000ce,
            0x80200b9c,
            0x802000b8,
            0x1a,
            0x80212523,
            0x8021244f,
            0x36,
            0x10000065,
            0xf5ae7c2e69d25195,
            0x802113d8,
            0x36,
            0x802128d9,
            0x80200d3c,
        ],
        handler: Handler::Skip,
        paging: None,
        user: false,
        data: vec![0; DATA_SIZE],
    };
    (a, b, 11)
}

/// 2026-12, quantum 4: `a`'s first word branches to 0x801ff484, below its
/// image, into the device tree, which the native SEE and the monitor both
/// put at 0x801ff000 (QEMU's place, 0x80200000, holds the image), and the
/// handler skips on from word to word. The test's native run built its
/// machine by hand and left the tree out: it found zeros there (illegal
/// instructions) where the monitor's guest found the tree, whose word at
/// 0x801ff538 is an instruction that retires. The native run now boots as
/// `trapvisor run` does.
fn running_into_the_device_tree() -> (Program, Program, u64) {
    let a = Program {
        body: vec![
            0xbf2d7863, 0x00000037, 0x00000037, 0x00000037, 0x00000037, 0x00000037, 0x00000037,
            0x00000037, 0x00000037, 0x00000037, 0x00000037, 0xfffff037, 0x01d3b0a3, 0x0364baaf,
            0x14059ef3, 0x14263c73,
        ],
        regs: vec![
            0x68720044047a978c,
            0x802100cc,
            0x8021295c,
            0x913c3ee68bfe9837,
            0x802005a8,
            0x100000b9,
            0x80213f3f,
            0x4,
            0x15,
            0x5,
            0x158dd7e9e5469a27,
            0x80212d3b,
            0xc5889a862071ac94,
            0x802129e0,
            0x1fbf10c7be900644,
            0x34,
            0x80200524,
            0x8020094c,
            0x4,
            0x3e,
            0x100000b4,
            0x80211a5b,
            0x3d,
            0x6dc44aff97d9dc26,
            0x80210803,
            0xc,
            0x10000044,
            0x80210296,
            0x8021199d,
            0x80200bb0,
            0x80200ab4,
            0x802009cc,
        ],
        handler: Handler::Skip,
        paging: None,
        user: false,
        data: vec![0; DATA_SIZE],
    };
    let b = Program {
        body: vec![
            0x106e1ff3, 0xfc1212e3, 0xff358ae3, 0xa1d4a72f, 0x12000073, 0x8413a32f, 0x00000813,
            0x00000000, 0x00c36683, 0x02c6ec33, 0x01000893, 0x0174a223, 0x45e4be2f, 0x00535303,
            0x1428a073, 0x0054a803, 0xa6b6e193, 0x4044523b, 0x1421a673, 0x00fb25b3, 0x0084e903,
            0x00000073, 0x01b4a523, 0xe5282951, 0x016326a3, 0xb8ba0005, 0x0000100f, 0x013383a3,
            0x0031a0b3, 0x01d39723, 0x7c0617f3, 0x026259b3, 0xe354a22f, 0x02c2b1a3, 0x12000073,
            0xc002d173, 0x0021beb3, 0xfd00f6e3, 0x0192a683, 0x0393ac83, 0x00330d83, 0x00729fa3,
            0x0ea3aa2f, 0x1404a8af, 0x143f9bf3, 0x0073b223, 0x03b3aea3, 0x00000000, 0x12000073,
            0x00649723, 0x00000893, 0x00200893, 0x017381a3, 0x141a90f3, 0xfa3a7de3, 0xb2ec0005,
            0x0163a123, 0xfe914fe3, 0xc00ca273, 0x0074de83, 0x00240ba3, 0x204433af, 0x014394a3,
            0x00135203, 0x01fc3b33, 0x00e494a3, 0x00330123, 0x00e38603, 0x02adc2b3, 0x140fa0f3,
            0x00cee5b3, 0x006390a3, 0x2764312f, 0x105e2373, 0x00000073, 0x03f7ebbb, 0x01f48523,
            0x03070fbb, 0xfa63c8e3, 0xfe5de4e3, 0x00b38783, 0x10500073, 0xd0d9d379, 0x00c33b83,
            0x65a88667, 0xc014e473, 0x022f723b, 0xb5d51ab0, 0x00100073, 0x01000893, 0x01d255bb,
            0x10200073, 0x03ce7c33, 0x41d9053b, 0x0014aea3, 0x0043bf03, 0x1002d4f3, 0x02369bb3,
            0x0293a2a3, 0x02ef1d93, 0x0157d61b, 0x10500073, 0x1416d8f3, 0x00a3a203, 0x300079f3,
            0x5779eb5c, 0x01000893, 0x000311a3, 0x18097c73, 0x7c0e6e73, 0x104b5473, 0x83e2a52f,
            0xfbffff6f, 0xa322bcaf, 0x41cf0733, 0x00000073, 0x0043b503, 0x00b30403, 0x027bde93,
            0x00100893, 0x00730d83, 0x1408d9f3, 0x00130d03, 0xd63b20fd, 0x52427a05, 0x10476e73,
            0x832dcc37, 0xc0095473, 0x00939ba3, 0xa7633e2f, 0x10500073, 0xc23f000a, 0x30200073,
            0x00000073, 0xfdfff16f, 0xc613abaf, 0x4010dd9b, 0xec5bd995, 0xff82cb83, 0x00233303,
            0x067a0267, 0x01632023, 0x0074e103, 0x00000813, 0x10051bf3, 0xdea20005, 0x4374df93,
            0x00348383, 0x010a2f33, 0x41dc52bb, 0xc019dd73, 0x1430d6f3, 0x00000813, 0x03ffd23b,
            0x01c4b2a3, 0x12000073, 0x5c12be6c, 0x00f4b683, 0x01000893, 0x105e7573, 0x00000000,
            0x00b3be03, 0x105c2af3, 0x0044a4a3, 0x02e36903, 0x106ad573, 0xfe83ad23, 0xc0063ef3,
            0x30035173, 0xc0073ff3, 0x00000073, 0x00433883, 0x00b5e3b3, 0x00938f83, 0x00631b03,
            0x0254c783, 0x00000813, 0x00e4c403, 0x01832123, 0x0824b8af, 0x013333a3, 0x01645dbb,
            0x00000073, 0x30200073, 0x01048fa3, 0x01000893, 0x10036af3, 0x01a33223, 0xe0757a8a,
            0x01d4c503, 0x00232883, 0x0093eb03, 0x00000813, 0x2164b32f, 0x1a542eaf, 0x02d2dd83,
            0x021ba0b3, 0x00d18333, 0x106cf6f3, 0x038b24b3, 0x01e3b223, 0x41c0dd33, 0x00000073,
            0xffb35c03, 0x104c99f3, 0x00200893, 0x014382a3, 0x005492a3, 0x4692b5af, 0x00f4b603,
            0x144170f3, 0x1062b6f3, 0xc01af773, 0x00b55f72, 0x2763bbaf, 0x7c05d9f3, 0x03349523,
            0xb4df1c00, 0xfd5187e3, 0x00d31f83, 0x00a4a023, 0x143823f3, 0x8383444d, 0x5fda0ae7,
            0x01d480a3, 0x51d53ea7, 0x00246c03, 0x00000073, 0x00000073, 0x00d8e063, 0x180da573,
            0x025e05b3, 0x029fcc3b, 0x00000073, 0x143df4f3, 0x00a33123, 0x03d4a603, 0xc019b473,
            0x3dd13648, 0x45e7f208, 0x00000813, 0x01fca133, 0x00000073, 0x00000073, 0x00236c83,
            0x013314a3, 0x82243f2f, 0x016a1f9b, 0xc0187573, 0x4080d733, 0x44a4bf2f, 0x00000813,
            0x00632983, 0x01e4a233, 0x12000073, 0x141038f3, 0xa9f10005, 0x0852bd2f, 0x00433323,
            0x01000893, 0x00934c83, 0x2f378b42, 0x105094f3, 0x050c4e63, 0x300d3c73, 0x01b34b83,
            0xfca6f7e3,
        ],
        regs: vec![
            0x802000ec,
            0x2c4dd9cf01c7e4c7,
            0x80210580,
            0x3,
            0x8020072c,
            0x80200ee4,
            0xe092f77261cc1d49,
            0x8020036c,
            0x0,
            0x8021299c,
            0x10000080,
            0x31,
            0x24605dea337ac7c4,
            0x8,
            0x80211c84,
            0x80200e10,
            0x9bebb3a7abc773cf,
            0x80212f31,
            0x10000012,
            0x6a6bb8198453fd3e,
            0x1000008d,
            0x80200868,
            0x802127d3,
            0x3,
            0x80200398,
            0x10000083,
            0x100000d2,
            0x100000a6,
            0x802139d7,
            0x802004ec,
            0x16d0c68ca03d749b,
            0x24,
        ],
        handler: Handler::Retry,
        paging: Some((None, None, [0xd1, 0xcf, 0xc5, 0xcf])),
        user: false,
        data: vec![0; DATA_SIZE],
    };
    (a, b, 4)
}

/// 2026-12 (CI, `random_programs_run_the_same_under_bt`; the other program
/// and the quantum were not kept: it fails alone): RAM is one gigapage
/// that is execute-only (flags 0xc9: no R, and `sstatus.MXR` clear), so
/// every load of the prologue's register table faults ('M', 31 of them),
/// and after the first the handler leaves `t6` = `sepc + 4`, a code
/// address, which the next `ld`s use as their base. Under bt every `ld`
/// of the prologue (`ld xN, k(t6)`: the upper half of each reads as a
/// 32-bit instruction running into the next one's zero parcel) was a step,
/// run once from the original page mapped readable and executable
/// whatever the guest's page said: the loads of the execute-only code
/// succeeded, one 'M' instead of 31. A step now maps the original
/// execute-only and a load of its own page gets the guest's own rights
/// (and on the standard ISA nothing is stepped at all).
fn bt_step_reads_execute_only_code() -> (Program, Program, u64) {
    let a = Program {
        body: vec![
            0x10001073, 0x00010001, 0x10200073, 0x012391a3, 0x00c33103, 0x02a8efb3, 0x0013a983,
            0x7c0df6f3, 0x00000073, 0x00c3cd83, 0x4801e708, 0x00010001, 0x87bb0001, 0x00010335,
            0x00016cdc, 0x00010001, 0x01947533,
        ],
        regs: vec![
            0x10000018,
            0x80200c70,
            0xf,
            0x0aef269d6a5196a7,
            0x7,
            0x80200786,
            0x100000a2,
            0x80210462,
            0x35,
            0xde9b23fadf864cda,
            0x80200230,
            0x37,
            0x78971f335aea4770,
            0x80200b1e,
            0x100000ac,
            0x80200b08,
            0x34,
            0xe,
            0x802102cb,
            0x100000f6,
            0x80200d28,
            0x39,
            0x10000022,
            0x1000002d,
            0x10000064,
            0x17,
            0x1000002a,
            0xb,
            0x80211edf,
            0xd8affa51ad967038,
            0xfe432148cec8f3dc,
            0x100000fd,
        ],
        handler: Handler::Skip,
        paging: Some((Some(0xc9), None, [0xcf, 0xd9, 0x52, 0xc9])),
        user: false,
        data: vec![0; DATA_SIZE],
    };
    (a.clone(), a, 97)
}

/// 2026-12, quantum 1222, on leaky (the soak of `random_programs_run_the_same_under_bt`):
/// `b` runs with paging on, and its `c.sw` at 0x8020009c stores 4 bytes at
/// 0x80200ffe, its own code page and 2 bytes into the next. Under bt a
/// store to the code page it runs from is stepped (run once from the
/// original page, mapped writable for it): the step faulted on the second
/// page, which was filled, but the next fetch scanned the code page again,
/// and on the leaky machine that drops every shadow entry, the fill with
/// them: the step faulted on it again, forever, until the fill guard
/// stopped the guest (status 126) where natively it runs to its
/// instruction limit. A step whose load or store faults on a page it did
/// not map now runs again with that page filled.
fn bt_soak_instruction_fetch_storm() -> (Program, Program, u64) {
    let a = Program {
        body: vec![0x00000037; 16],
        regs: vec![0; 32],
        handler: Handler::Skip,
        paging: None,
        user: false,
        data: vec![0; DATA_SIZE],
    };
    let b = Program {
        body: vec![
            0x144329f3, 0x4059d59b, 0xb02ed798, 0x144bf473, 0x0001e410, 0x013317a3, 0x0043b2a3,
            0x104a6b73, 0x029feeb3, 0x0083a523, 0x0004b203, 0x00b34783, 0x40bb83bb, 0x19c3a42f,
            0x00010001, 0x0212aa03, 0x1411eff3, 0x000144a8, 0x141aaef3, 0x0001567e, 0x00010001,
            0x800ad944, 0xc9030001, 0x00010a48, 0x00000073, 0x12000073, 0x68257d97, 0x7df3be86,
            0x00013007, 0x02432533, 0xa597d4d0, 0x0001860b, 0x00010001, 0xd67319d6, 0x54c01433,
            0x00c4e403, 0xfeb1eae3, 0x00000813, 0x63c4b12f, 0x02230001, 0x00010163, 0x13450000,
            0x03e487a3, 0xc1d4b9af, 0x56e30001, 0x0001fc14, 0x00939403, 0x10013f73, 0x00b4eb03,
            0x00000813, 0x00c4e503, 0x01f282bb, 0x48010001, 0x00010001, 0x12000073, 0x00010001,
            0x7c031973, 0x5834c345, 0xa2d3aeaf, 0x1005bd73, 0x24c32a2f, 0x00538883, 0xc018b273,
            0x143de673, 0xc0076f73, 0x007336a3, 0x83b42faf, 0xcca49d3e, 0x011306a3, 0x0000076f,
            0xd2f04440, 0x0001664b, 0x04bf4063, 0x019390a3, 0x4b450e85, 0x12000073, 0x02320263,
            0x7c01b973, 0x2a55ccde, 0x005395a3, 0xc003f5f3, 0x017366b3, 0x12d8d71d, 0x0083b023,
            0x40285f93, 0x000158b8, 0x212329af, 0x60ac0001, 0x10200073, 0x264bfc93, 0xb927c913,
            0x0001c780, 0x14373cf3, 0x00000813, 0x0bfd2713, 0x011d5663, 0x0063bc03, 0xf2e48793,
            0x00739883, 0xfabcf3e3, 0x10200073, 0x00100073, 0xe2876a91, 0x03d45e63, 0x00000073,
            0x00200893, 0x03ac63bb, 0x004e179b, 0x81f3b62f, 0x00430e03, 0x18c3342f, 0x00000813,
            0x00639203, 0x24742daf, 0x00732e03, 0x00000073, 0x2a830001, 0x000100a3, 0xe094ac2f,
            0x01c05013, 0x0813d870, 0x00010000, 0x01e9921b, 0x00233703, 0x0084a5a3, 0x02b3baaf,
            0x00035b9b, 0x00736283, 0x0993b3af, 0x017311a3, 0xfdb9f317, 0xc4600001, 0xccf848c1,
            0x00e34083, 0x028d5fb3, 0x448339af, 0x0001c428, 0x30055af3, 0x00010001, 0x140aa873,
            0x00b4a303, 0xe4080001, 0xe732a52f, 0x77460001, 0x3d5cb493, 0x00e3c483, 0x0064a503,
            0x0033b603, 0x10417ff3, 0x66c3bf2f, 0x00d481a3, 0x0034e603, 0xfdecfae3, 0x0001f03c,
            0x023e63b3, 0x14137173, 0x40be5a33, 0x00736024, 0x74701050, 0x01000893, 0x0b837460,
            0x547401f3, 0x1440f6f3, 0x61442c2f, 0x1f1b72f8, 0x033e82bb, 0x0193a3a3, 0x806d2c93,
            0x00e19713, 0x10200073, 0x01230001, 0x00010113, 0x00e38e03, 0x0001d4bc, 0x02848603,
            0xca607b0b, 0x00010001, 0x00000813, 0x1042a473, 0x019331a3, 0x00149903, 0x6463b6af,
            0x1203322f, 0x00c48903, 0x37b0000f, 0x973bfdf4, 0x4c940001, 0xd73a6493, 0x00548683,
            0x759578e8, 0xc008fc73, 0x0001c820, 0xc01f68f3, 0xfab34258, 0x0001007b, 0x46d3a32f,
            0x03d97ebb, 0x00730001, 0x48f80000, 0x02e56e3b, 0x00010001, 0x0174a1a3, 0xc00951f3,
            0x3009f173, 0x12000073, 0xe092ba2f, 0x02ef0d3b, 0x48890001, 0x02c42603, 0x0000100f,
            0x2fd50001, 0x30005473, 0x00200893, 0x00734683, 0x00010001, 0x00100073, 0x7c2c3de2,
            0x03b40dbb, 0x7c035e73, 0x00000813, 0x00039503, 0x035e3a33, 0x00b38b83, 0x12000073,
            0x3d730001, 0x48c11410, 0x12000073, 0x03501d33, 0x48010001,
        ],
        regs: vec![
            0x80200600,
            0xcc0cf8af0c0f7225,
            0x80212b68,
            0x35,
            0x8021203d,
            0x80200d30,
            0x80212dcb,
            0x38,
            0x7be87e13eda70ddc,
            0x28,
            0x3c,
            0xd4ec115c600a0cfe,
            0xfffb9420c1ae13a2,
            0x1918f02112895326,
            0x7e672165dce2a23a,
            0x80200fd6,
            0x8020076e,
            0x1c,
            0x100000de,
            0x80200572,
            0x80210699,
            0x802002c6,
            0x80200988,
            0x10000072,
            0x80200ad6,
            0x36,
            0x80211ad2,
            0x80212ed5,
            0x40660b9abbadf780,
            0x80213602,
            0x802005ea,
            0x80210c67,
        ],
        handler: Handler::SkipParcel,
        paging: Some((None, None, [0xcf, 0x82, 0x9a, 0xdf])),
        user: false,
        data: vec![0; DATA_SIZE],
    };
    (a, b, 1222)
}

/// 2026-12, quantum 10, on leaky (the same soak): the same store across
/// the end of its own code page (at 0x80200c64, the second half faulting
/// at 0x80201000), with `satp` Bare: a store storm under bt until the fill
/// guard stopped the guest, natively a run to the instruction limit.
fn bt_soak_store_across_pages_bare() -> (Program, Program, u64) {
    let a = Program {
        body: vec![0x00000037; 16],
        regs: vec![0; 32],
        handler: Handler::Skip,
        paging: None,
        user: false,
        data: vec![0; DATA_SIZE],
    };
    let b = Program {
        body: vec![
            0x032e6033, 0x14760000, 0x14472073, 0xc0d4262f, 0x30200073, 0x00e644b3, 0xb5a5ee93,
            0x8613a1af, 0x2523a32f, 0x00010001, 0x00390ab3, 0x0163a023, 0x00000813, 0x0268f03b,
            0x70e0e4cc, 0x0104a383, 0x5fc88900, 0x300a6273, 0x1604b42f, 0x0960d4c4, 0x14357ef3,
            0xc00b91f3, 0x4120599b, 0xa1b3382f, 0x00010001, 0x01f7a5b3, 0x0001c468, 0x00010001,
            0x00100893, 0x00010001, 0x12042c2f, 0x76378213, 0xa683bcaf, 0x26e2a4af, 0x00010001,
            0x00010001, 0x82e3b32f, 0x0001f8d8, 0x100af273, 0x30200073, 0x104a73f3, 0x0093cfb3,
            0x00010001, 0x00010001, 0xa484232f, 0x23556ec1, 0x00010001, 0x7c099273, 0x032364b3,
            0x0124a5a3, 0x01c4a3a3, 0xe3420001, 0x0001ef96, 0x00e223b3, 0xb2af0001, 0x4ccc1b34,
            0x06bbe080, 0x9c5a03b9, 0x026bc9b3, 0x40842a2f, 0x141c9073, 0x140cbef3, 0x416a82bb,
            0x01c3b723, 0xf1d93860, 0x01733023, 0xdefde793, 0x019320a3, 0x012c571b, 0x30061e73,
            0x01000893, 0x00010001, 0x2131dbc4, 0x00730001, 0x00010000, 0x0000100f, 0x00748303,
            0x00000073, 0x00000073, 0x180d5673, 0x106b2e73, 0x00b4e703, 0x00100073, 0x12a20001,
            0x03f0ce33, 0x00c4b583, 0x00014cd4, 0xc4400001, 0x013317a3, 0x81830001, 0x000100c4,
            0x02e3de83, 0x14381873, 0xa5a30001, 0xf49401b4, 0xc005d7f3, 0x34b30001, 0x64440232,
            0x02331583, 0x78f4c0b4, 0x7c04f373, 0x00539023, 0x31830000, 0x00e4e903, 0x0054c903,
            0xfe0b0ae3, 0x00010001, 0x10029273, 0x0001ece4, 0x14195773, 0x0001b299, 0xc001b673,
            0x00010001, 0xf898218a, 0xa223f4d0, 0x48c101f4, 0xb265198b, 0xef3b0001, 0x000102ee,
            0x63fe9d76, 0x01000893, 0x00014801, 0x035e403b, 0x0064c903, 0x01b32123, 0x00333403,
            0x100f7442, 0xd8cc0000, 0x144220f3, 0x10500073, 0x03196fb3, 0x02c00bbb, 0x10045373,
            0x29c0535a, 0x009317a3, 0x00236583,
        ],
        regs: vec![
            0x10000081,
            0x802110e6,
            0x80200e22,
            0x80200dd4,
            0x80200940,
            0x803d6d48fe31d5fe,
            0x30,
            0x80212a3c,
            0x100000e0,
            0x9ddaa7d80c1ae50e,
            0x31,
            0x80200a74,
            0x28,
            0x8020093e,
            0x1000000a,
            0x80200aa6,
            0x8020058e,
            0x10000035,
            0x1f,
            0x80200acc,
            0x80212e8e,
            0x80211c59,
            0x80212458,
            0x65af660998288ca1,
            0x80200e06,
            0x100000a6,
            0x2b,
            0x802118ae,
            0x80200992,
            0x8021329d,
            0x80213711,
            0x100000b9,
        ],
        handler: Handler::SkipParcel,
        paging: None,
        user: false,
        data: vec![0; DATA_SIZE],
    };
    (a, b, 10)
}
