//! The trapvisor hart: the RV64IMA instruction table and everything built on
//! it (decoder, encoder, disassembler), and the machine a guest runs on.
#![forbid(unsafe_code)]

pub mod csr;
mod dcache;
pub mod devices;
pub mod exec;
pub mod hart;
pub mod isa;
pub mod machine;
pub mod mmu;
pub mod sbi;
pub mod trap;
