//! The trapvisor hart: the RV64IMA instruction table and everything built on
//! it (decoder, encoder, disassembler), and the machine a guest runs on.
// `unsafe` is denied everywhere but in the two fast-path RAM accesses and the
// slot read of the fast loop in `exec.rs` (`tlb_load`, `tlb_store`,
// `Lane::run`) and the translator's executable memory (`jit/buffer.rs`:
// mapping it, copying code in, calling it, through the `unsafe fn`s
// `CodeBuf::enter` and `Jit::run`, whose one caller is
// `Hart::enter_translated` in `exec.rs`) and the lazily backed memory of
// guest RAM (`ram.rs`: mapping it, viewing it as a slice, unmapping it),
// each with its SAFETY argument.
#![deny(unsafe_code)]

pub mod csr;
mod dcache;
pub mod debug;
pub mod devices;
pub mod disasm;
pub mod exec;
pub mod fdt;
pub mod hart;
pub mod image;
pub mod isa;
mod jit;
pub mod machine;
pub mod mmu;
pub mod ram;
pub mod rvc;
pub mod sbi;
pub mod storm;
pub mod trap;
