//! The trapvisor hart: the RV64IMA instruction table and everything built on
//! it (decoder, encoder, disassembler), and the machine a guest runs on.
//!
//! The modules, each using only those above it:
//!
//! | module | what |
//! |---|---|
//! | `isa`, `trap`, `digest` | the instruction table; traps as values; the trace digest |
//! | `csr`, `privileged` | CSR fields; the privileged architecture (CSR rules, traps, `sret`, interrupts, timer), once, over a [`privileged::Core`] |
//! | `arch` | the architectural state: registers, `pc`, reservation, `Core` |
//! | `storm` | trap-storm detection, natively and under the monitor |
//! | `sv39`, `zeroed`, `dcache`, `ram`, `devices`, `mmu` | the page-table walk over any physical memory; lazily backed memory; the decode cache; RAM with its decode cache; devices; the MMU with its TLBs |
//! | `exec` | the reference executor: what each instruction does |
//! | `jit`, `engine` | the translator; the engine (fast loop, run blocks) |
//! | `hart`, `port`, `debug` | the hart: `step`, `run`, and what a host may do; the port hosts drive a hart through; what a debugger adds (events, breakpoints, watches, dirty pages, the state as a value) |
//! | `sbi`, `machine`, `image`, `disasm` | the firmware's SBI, the native machine, ELF loading, disassembly |
// `unsafe` is denied everywhere but in the two fast-path RAM accesses of the
// TLB (`mmu.rs`: `tlb_load`, `tlb_store`), the slot read of the fast loop
// (`engine.rs`: `Lane::run`), the translator's executable memory
// (`jit/buffer.rs`: mapping it, copying code in, calling it, through the
// `unsafe fn`s `CodeBuf::enter` and `Jit::run`, whose one caller is
// `Engine::enter_translated` in `engine.rs`) and the lazily backed memory
// of guest RAM (`zeroed.rs`: mapping it, viewing it as a slice, unmapping it),
// each with its SAFETY argument.
#![deny(unsafe_code)]
// The table-driven macros (`isa::fast_rows`) take a step per row.
#![recursion_limit = "512"]

// First: the table macros (`isa_rows!`, `fast_rows!`) are in scope for
// every module after it.
#[macro_use]
pub mod isa;
pub mod arch;
pub mod csr;
mod dcache;
pub mod debug;
pub mod devices;
pub mod digest;
pub mod disasm;
mod engine;
pub mod exec;
pub mod fdt;
pub mod hart;
pub mod image;
mod jit;
pub mod machine;
pub mod mmu;
pub mod port;
pub mod privileged;
pub mod ram;
pub mod rvc;
pub mod sbi;
pub mod storm;
pub mod sv39;
pub mod trap;
pub mod zeroed;
