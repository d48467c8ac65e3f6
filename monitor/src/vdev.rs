//! Each guest's virtual devices: its own UART and test finisher, at the
//! addresses of book/src/machine.md, modelled by the very same code as the native
//! machine's ([`cpu::devices`]). The monitor only reaches them through a
//! decoded MMIO access (`exits::mmio`) or an SBI console call.

use cpu::devices::{Console, Ended, NativeDevices};
use cpu::hart::Devices;

/// One guest's device bus.
#[derive(Debug)]
pub struct VirtualDevices {
    pub bus: NativeDevices,
}

impl VirtualDevices {
    pub fn new(console: Console) -> VirtualDevices {
        VirtualDevices {
            bus: NativeDevices::new(console),
        }
    }

    /// A load of `size` bytes at guest-physical `pa`; `None` = access fault.
    pub fn load(&mut self, pa: u64, size: u8) -> Option<u64> {
        self.bus.load(pa, size)
    }

    /// A store of `size` bytes at guest-physical `pa`; `None` = access fault.
    pub fn store(&mut self, pa: u64, size: u8, value: u64) -> Option<()> {
        self.bus.store(pa, size, value).map(|_| ())
    }

    /// How the guest asked to end (finisher or SBI), if it has.
    pub fn ended(&self) -> Option<Ended> {
        self.bus.ended()
    }

    pub fn console(&mut self) -> &mut Console {
        &mut self.bus.uart.console
    }
}
