_start: li a0, 0x10000000000
