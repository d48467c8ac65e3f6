//! Program pairs `scripts/soak.sh` found running differently, as
//! proptest shrank them, kept as fixed cases of the four-way check (the
//! soak's `cargo test` batches draw new programs each time, so a failure
//! would not come back on its own). Their data pages were random bytes that
//! make no difference to the failure: they are zero here.

use super::{Handler, Program, DATA_SIZE};

/// Each found pair, by name: the programs and the quantum.
pub(super) const PAIRS: &[(&str, fn() -> (Program, Program, u64))] = &[(
    "timer_deadline_past_the_clock",
    timer_deadline_past_the_clock,
)];

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
