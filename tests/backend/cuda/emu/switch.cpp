/// @file switch.cpp
/// @brief dapt_emu_switch, the CUDA emulator's fiber switch on x86-64 (System V): pushes the
/// callee-saved registers, saves the stack pointer to *save (rdi), loads `to` (rsi), pops the
/// registers saved there and returns into that fiber. Floating-point control state is not
/// switched: kernels do not change it.
#if defined(__x86_64__)
asm(R"(
  .pushsection .text
  .globl dapt_emu_switch
  .type dapt_emu_switch, @function
dapt_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size dapt_emu_switch, .-dapt_emu_switch
  .popsection
)");
#endif
