-- The guided boot of the teaching kernel: `vlab viz --walkthrough` plays
-- this file. Every stop is found by what the trace shows (never by an
-- address), so it holds on your machine as on the reference one, and
-- after the kernel changes. The format is in visualizer/README.md.

-- Bits this tour looks at (SDM Vol. 3A, 2.5 and 4.3; guests/kernel/x86.h).
local CR0_PG = 0x80000000
local PF_P, PF_W = 0x1, 0x2      -- #PF error code: page present, a write
local PTE_P, PTE_PS = 0x1, 0x80
local PTE_COW = 0x200            -- the kernel's own mark, in an AVL bit

-- The page-table entry that maps linear address `lin` in the current
-- address space, read from guest physical memory; nil when there is none.
local function pte_of(m, lin)
  local pde = m:read32((m:cr(3) & ~0xfff) + (lin >> 22) * 4, "phys")
  if pde & PTE_P == 0 or pde & PTE_PS ~= 0 then return nil end
  return m:read32((pde & ~0xfff) + ((lin >> 12) & 0x3ff) * 4, "phys")
end

return {
  title = "Lab 1: the teaching kernel boots",
  image = "build/guests/kernel.elf",
  mem = "32M",
  stops = {
    {
      title = "The kernel loads its GDT",
      pane = "regs",
      when = { kind = "sysreg", reg = "gdtr" },
      text = [[
The boot loader left the CPU in protected mode with segments of its own choosing; the kernel's first privileged act is to install its own Global Descriptor Table. desc_init() (guests/kernel/desc.c) fills five descriptors - flat code and data segments for ring 0, the same for ring 3, and one for the TSS - and arch->load_gdt() (arch_native.c) executes LGDT, which copies a 6-byte pseudo-descriptor (16-bit limit, 32-bit base) into GDTR (SDM Vol. 3A, 3.5.1). The event shows the base and the limit: six entries of 8 bytes (the null descriptor first), limit 0x2f.
LGDT only changes where the CPU looks for descriptors; the segment registers still hold the loader's cached descriptors. That is why load_gdt goes on to reload CS with a far jump and DS, ES, SS, FS and GS with MOV: only a segment load reads the new table. Every segment is base 0, limit 4 GiB - segmentation here only says which ring code runs in; paging does the protecting.]],
    },
    {
      title = "The IDT: where every trap will go",
      pane = "regs",
      when = { kind = "sysreg", reg = "idtr" },
      text = [[
Just before this, LTR loaded the task register with the TSS selector (the trace shows its `tr` event between the two). The TSS is no longer used for task switching, but the CPU still reads one thing from it: SS0:ESP0, the kernel stack to switch to when a trap arrives from ring 3.
Now LIDT loads IDTR: 256 gates of 8 bytes (limit 0x7ff). idt_init() in desc.c makes every vector it has a stub for an interrupt gate (type 0xE: clears IF on entry) to the stubs of trapasm.S, with DPL 0 - except vector 0x80, the system call, whose DPL 3 lets user code execute INT 0x80. A user program trying INT 14 gets a #GP instead of faking a page fault (SDM Vol. 3A, 6.12.1.1). Interrupts are still disabled (IF = 0), and will stay so in the kernel: pic_init() moves the PIC's IRQs to vectors 32-47 next, out of the way of the CPU's exceptions.]],
    },
    {
      title = "Paging turns on",
      pane = "walk",
      kinds = { "sysreg" },
      when = function(ev)
        return ev.reg == "cr0" and ev.old & CR0_PG == 0 and ev.new & CR0_PG ~= 0
      end,
      text = [[
vm_init() (guests/kernel/vm.c) has set CR4.PSE and CR4.PGE (4 MiB pages and global pages, which CPUID said this CPU has), built the kernel map - the identity map of RAM, ring 0 only, one 4 MiB directory entry each - and loaded CR3 with the page directory's physical address. This MOV to CR0 sets PG (and WP, so that even ring 0 respects read-only pages: copy-on-write depends on it).
From the next instruction on, every linear address goes through the two-level walk: CR3 -> page directory entry (bits 31:22) -> page table entry (bits 21:12) -> frame (SDM Vol. 3A, 4.3). The identity map is why the instruction after the MOV still fetches: its linear address translates to itself. The walk pane shows each miss of the TLB as it is resolved; `vlab pt --at event=walk -o pt.png build/guests/kernel.elf` draws the tables as the first walk, right after this instruction, finds them. The CR0 write also flushed the TLB (the tlb_flush event after this one).]],
    },
    {
      title = "The first switch to ring 3",
      pane = "rings",
      when = { kind = "ring", from = 0, to = 3, cause = "iret" },
      text = [[
proc_start_init() created process 1 and exec'd `init` into a fresh address space (exec.c), leaving on its kernel stack a trap frame that looks as if the process had trapped into the kernel: user CS and SS (RPL 3), EIP at the program's start, ESP at the top of the user stack, EFLAGS with IF = 1. The scheduler (proc.c) switched CR3 to the process's page directory, set TSS.ESP0 to its kernel stack (vm_switch) and swtch'd to its context, which returns into trapret (trapasm.S).
trapret pops the registers and executes IRET. Because the CS on the stack has RPL 3, the CPU performs a return to an outer privilege level: it pops EIP, CS and EFLAGS, then ESP and SS as well, checks the new segments, and sets CPL = 3 (SDM Vol. 2, IRET). There is no instruction to "enter user mode": the kernel fakes the way back from a trap that never happened. The same IRET enables interrupts (IF = 1 in the popped EFLAGS).]],
    },
    {
      title = "The first system call",
      pane = "log",
      when = { kind = "exception", vector = 0x80, cpl = 3 },
      text = [[
init called a system call stub of user_lib.c: the number in EAX, the arguments in EBX, ECX, EDX, then INT 0x80. The CPU reads IDT entry 0x80, checks the gate's DPL (3, so CPL 3 may use it), and since the gate's code segment is ring 0, switches stacks: it loads SS:ESP from TSS.SS0:ESP0 - this process's kernel stack - and pushes the user SS and ESP there, then EFLAGS, CS and EIP (SDM Vol. 3A, 6.12.1). The registers pane shows the machine right after delivery: CPL 0, ESP near the top of the kernel stack, EIP at vector128 in trapasm.S, and EAX still holding the call's number.
The stub pushes a dummy error code and the vector, alltraps saves the rest into a struct trapframe, and trap() (trap.c) sends vector 0x80 to syscall() (syscall.c), which checks the number against its table and the user pointers with uaccess_check (fault.c). The result goes into the frame's EAX, and trapret's IRET takes the process back to ring 3.]],
    },
    {
      title = "The first page fault: memory on demand",
      pane = "walk",
      when = function(ev)
        return ev.vector == 14 and not ev.soft and ev.cpl == 3
      end,
      kinds = { "exception" },
      text = [[
A user instruction touched a page that has no mapping: the page walk found a page-table entry with P = 0, and the CPU raised #PF (vector 14) with CR2 = the linear address and an error code (SDM Vol. 3A, 4.7): bit 0 (P) clear - the page was not present; bit 1 (W) says whether it was a write, bit 2 (U) that it came from ring 3.
This is not an error. The kernel hands out the bss, the heap and the stack only when they are touched: trap.c's page_fault() calls vm_fault() (fault.c), which, for an address inside [user_bss_va, brk) or the stack region, maps a freshly zeroed page (demand_zero) and returns; trapret's IRET re-executes the faulting instruction, which now succeeds. An address anywhere else kills the process instead. Watch the walk pane: the faulting walk stops at the entry with P = 0.]],
    },
    {
      title = "The first copy-on-write fault",
      pane = "walk",
      kinds = { "exception" },
      when = function(ev, m)
        if ev.vector ~= 14 or ev.soft or ev.error & (PF_P | PF_W) ~= (PF_P | PF_W) then return false end
        local pte = pte_of(m, ev.cr2)
        return pte ~= nil and pte & PTE_COW ~= 0
      end,
      text = [[
fork() (proc.c, with vm.c's copy of the address space) copied no page. It made every writable user page read-only in both parent and child, marked them PTE_COW - a bit of the PTE that the hardware leaves to software - and counted the second reference to each frame (kmem.c). Both processes run on the same frames until one of them writes.
That write is this fault: error code bits 0 and 1 set - the page is present, the access was a write - and the PTE, which this stop's predicate read from guest memory, carries PTE_COW. vm_fault() (fault.c) sees it and calls copy_on_write(): if the other process still uses the frame, it copies the page to a new frame and maps that one writable; if not, it simply gives the write permission back. Then INVLPG drops the stale read-only translation from the TLB, and the IRET re-executes the write. Because CR0.WP is set, the kernel itself could not have written to the page by mistake either.]],
    },
    {
      title = "The first timer interrupt",
      pane = "rings",
      when = { kind = "interrupt", vector = 32 },
      text = [[
pit_init() (pit.c) programmed the 8254's channel 0 for 100 Hz and unmasked IRQ 0 at the PIC, which pic_init() (pic.c) had initialised with ICW2 = 32: IRQ 0 arrives on vector 32 (T_IRQ0), not on vector 8, where it would collide with #DF. It took this long because time in the emulator is virtual: the CPU runs at a nominal 100 MIPS, 10 ns per instruction retired (core/include/vlab/vm.h), so the first tick, 10 ms after pit_init(), comes about a million instructions into the run - here while a user program runs, since the kernel keeps IF = 0 except when the scheduler idles.
The CPU finished the current instruction, acknowledged the PIC, and delivered vector 32 through its interrupt gate exactly like a trap - the same stack switch from TSS.ESP0 - but with no error code and no instruction to blame: EIP is where the program was interrupted. timer_interrupt() (trap.c) sends the end-of-interrupt to the PIC first and then calls yield(): the process has used its time slice, and the round-robin scheduler picks the next one. This is preemption.]],
    },
  },
}
