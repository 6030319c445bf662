"""Hints to the CPU that numba has no word for."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_READ = 0
_KEEP_IN_ALL_CACHES = 3
_DATA = 1


@intrinsic
def prefetch(typingctx, array, index):
    """Ask for the cache line holding array[index] ahead of its use (LLVM's `llvm.prefetch`: a hint that never
    faults, so an index past the end is harmless). Written as an intrinsic because it has no Python form."""
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32]), "llvm.prefetch.p0")
        builder.call(function, [address, ir.Constant(i32, _READ), ir.Constant(i32, _KEEP_IN_ALL_CACHES),
                                ir.Constant(i32, _DATA)])
        return context.get_dummy_value()

    return signature, codegen
