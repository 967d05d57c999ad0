"""A bounded pre-scan of an untrusted pickle, run before the unpickler builds anything from it.

One pass over the opcodes checks every length prefix against the bytes that remain (the C
unpickler allocates a BYTEARRAY8's claimed length before reading it) and simulates the unpickler's
stack with the nesting depth of each value in place of the value. It refuses what could crash or
exhaust the process in the C unpickler or in CPython: too many opcodes, values nested too deep (the
hash of a deeply nested tuple recurses in C without a limit), memo indices past the opcode count
(the unpickler allocates up to the index), memo reads of entries never written, frames longer than
the file, too many dict keys or set items that are not strings (int, float and tuple hashes can be
made to collide, turning each insert into a scan of the others), and opcodes folk-rnn files never
use. ``pickletools.genops`` does the same walk three times slower (folk-rnn v2: 1 s).
"""

from __future__ import annotations

import pickletools

from ..errors import ModelFileError, RefusedPickleError

MAX_OPCODES = 1_000_000  # folk-rnn v2's pickle has about 384,000
MAX_DEPTH = 100  # its values nest 6 deep
MAX_HASHED = 1_000  # non-string dict keys and set items; its dicts have string keys only

# Extension codes, persistent ids and instance creation hand the choice of object to registries,
# loader hooks or classes; out-of-band buffers need the caller's buffers. folk-rnn never uses them.
_NEVER = {"EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX",
          "NEXT_BUFFER", "READONLY_BUFFER"}
_KINDS = {"MARK": "mark", "POP": "pop", "PUT": "put", "BINPUT": "put", "LONG_BINPUT": "put", "MEMOIZE": "memoize",
          "GET": "get", "BINGET": "get", "LONG_BINGET": "get", "DUP": "dup", "FRAME": "frame", "STOP": "stop"}
_GROWS = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}  # change the object below
_PAIRS = {"SETITEM", "SETITEMS", "DICT"}  # arguments are key, value, key, value ...
_SET_ITEMS = {"ADDITEMS", "FROZENSET"}
_STRINGS = (pickletools.pyunicode, pickletools.pybytes, pickletools.pystring, pickletools.pybytes_or_str)
_PREFIXES = {pickletools.TAKEN_FROM_ARGUMENT1: (1, False), pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
             pickletools.TAKEN_FROM_ARGUMENT4U: (4, False), pickletools.TAKEN_FROM_ARGUMENT8U: (8, False)}


def _opcode_table() -> list[tuple | None]:
    """Per opcode byte: (name, kind, argument size or length-prefix rule, lines of text argument,
    objects it pops (below the mark for marked kinds), objects it pushes, the depth of the atom it
    pushes, whether it changes the object below its arguments, which arguments it hashes)."""
    table: list[tuple | None] = [None] * 256
    for op in pickletools.opcodes:
        before = op.stack_before
        marked = pickletools.markobject in before
        fixed = before.index(pickletools.markobject) if marked else len(before)
        if op.name in _NEVER:
            kind = "never"
        else:
            kind = _KINDS.get(op.name) or ("marked" if marked else "op" if fixed else "atom")
        atom = 0 if op.stack_after and op.stack_after[0] in _STRINGS else 1
        hashes = "pairs" if op.name in _PAIRS else "all" if op.name in _SET_ITEMS else None
        table[ord(op.code)] = (op.name, kind, op.arg.n if op.arg else 0,
                               2 if op.arg and op.arg.name.endswith("_pair") else 1,
                               fixed, len(op.stack_after), atom, op.name in _GROWS, hashes)
    return table


_TABLE = _opcode_table()
# Atoms with a fixed-size argument (ints, floats, None, empty containers): the scan's fast path.
_ATOMS = [(1 + e[2], e[6]) if e and e[1] == "atom" and e[2] >= 0 and e[5] else None for e in _TABLE]


def scan(data: bytes) -> int:
    """Check ``data`` against the limits above; returns how many non-string keys and items it hashes.

    A value's depth is 0 for a string, 1 for any other atom and 1 + its deepest part for a container,
    so depth 0 also tells a string key from one whose hash could be made to collide.
    """
    stack: list[int] = []
    marks: list[int] = []
    memo: list[int | None] = []
    hashed = count = pos = filled = 0  # filled: memo entries written, where MEMOIZE writes next
    end = len(data)
    table, atoms = _TABLE, _ATOMS
    while pos < end:
        fast = atoms[data[pos]]
        if fast is not None and count < MAX_OPCODES:
            count += 1
            pos += fast[0]
            stack.append(fast[1])
            continue
        entry = table[data[pos]]
        if entry is None:
            raise ModelFileError(f"not a readable pickle (unknown opcode {data[pos]:#04x} at byte {pos})")
        name, kind, n, lines, fixed, pushed, atom, grows, hashes = entry
        count += 1
        at = pos
        pos += 1
        if n > 0:
            pos += n
        elif n < 0:
            pos = _after_argument(data, pos, n, lines, name, at)
        if pos > end:
            break
        if kind == "atom":
            if pushed:
                stack.append(atom)
        elif kind == "get":
            index = _index(data, at + 1, pos, name)
            if index >= len(memo) or memo[index] is None:
                raise ModelFileError(f"the pickle reads memo entry {index:,} before writing it (byte {at})")
            stack.append(memo[index])
        elif kind == "op" or kind == "marked":
            if kind == "op":
                if len(stack) - fixed < (marks[-1] if marks else 0):  # a mark fences off the stack below it
                    raise ModelFileError(f"not a readable pickle ({name} on a short stack at byte {at})")
                args = stack[-fixed:]
                del stack[-fixed:]
            else:
                args = _pop_to_mark(stack, marks, fixed, name, at)
            target = args.pop(0) if grows else 0
            depth = max(target, 1 + max(args, default=0))
            if depth > MAX_DEPTH:
                raise ModelFileError(f"the pickle nests deeper than {MAX_DEPTH} levels (byte {at})")
            if pushed:
                stack.append(depth)
            if hashes:
                hashed += sum(1 for key in (args[0::2] if hashes == "pairs" else args) if key)
                if hashed > MAX_HASHED:
                    raise ModelFileError(f"the pickle has over {MAX_HASHED:,} dict keys or set items that are "
                                         "not strings; folk-rnn files have none")
        elif kind == "put" or kind == "memoize":
            filled += _memo_put(memo, filled if kind == "memoize" else _index(data, at + 1, pos, name), stack, count, at)
        elif kind == "mark":
            marks.append(len(stack))
            if len(marks) > MAX_DEPTH:
                raise ModelFileError(f"the pickle nests deeper than {MAX_DEPTH} levels (byte {at})")
        elif kind == "stop":
            return hashed
        elif kind == "pop":  # as the unpickler: a mark on top of the stack goes first
            if marks and marks[-1] == len(stack):
                marks.pop()
            else:
                _top(stack, name, at)
                stack.pop()
        elif kind == "dup":
            stack.append(_top(stack, name, at))
        elif kind == "frame":
            if int.from_bytes(data[at + 1 : pos], "little") > end - pos:
                raise ModelFileError(f"the pickle declares a frame past its end (byte {at})")
        else:
            raise RefusedPickleError(f"refused pickle opcode {name}: folk-rnn files never use it")
        if count > MAX_OPCODES:
            raise ModelFileError(f"the pickle has over {MAX_OPCODES:,} opcodes; folk-rnn files have far fewer")
    raise ModelFileError("not a readable pickle (it is cut short before its STOP opcode)")


def _after_argument(data: bytes, pos: int, n: int, lines: int, name: str, at: int) -> int:
    """Where the text or length-prefixed argument starting at ``pos`` ends (a length is checked
    against the bytes that remain, never read)."""
    if n == pickletools.UP_TO_NEWLINE:
        for _ in range(lines):
            pos = data.find(b"\n", pos) + 1
            if not pos:
                raise ModelFileError(f"not a readable pickle ({name} at byte {at} has no end of line)")
        return pos
    size, signed = _PREFIXES[n]
    length = int.from_bytes(data[pos : pos + size], "little", signed=signed)
    pos += size
    if not 0 <= length <= len(data) - pos:
        raise ModelFileError(f"the pickle's {name} at byte {at} claims {length:,} bytes; "
                             f"{max(len(data) - pos, 0):,} remain")
    return pos + length


def _index(data: bytes, start: int, stop: int, name: str) -> int:
    """A memo index: text for PUT and GET, little-endian binary otherwise."""
    arg = data[start:stop]
    if name in ("PUT", "GET"):
        try:
            return int(arg)
        except ValueError:
            raise ModelFileError(f"not a readable pickle ({name} of {arg[:20]!r})") from None
    return int.from_bytes(arg, "little")


def _memo_put(memo: list, index: int, stack: list[int], count: int, at: int) -> int:
    """Record the top of the stack at ``index`` (indices past the opcode count are refused); returns
    1 if the entry is new."""
    if not 0 <= index <= count:
        raise ModelFileError(f"the pickle writes memo entry {index:,} after only {count:,} opcodes (byte {at})")
    if index >= len(memo):
        memo.extend([None] * (index + 1 - len(memo)))
    new = memo[index] is None
    memo[index] = _top(stack, "a memo write", at)
    return int(new)


def _top(stack: list[int], what: str, at: int) -> int:
    if not stack:
        raise ModelFileError(f"not a readable pickle ({what} on an empty stack at byte {at})")
    return stack[-1]


def _pop_to_mark(stack: list[int], marks: list[int], fixed: int, name: str, at: int) -> list[int]:
    """Pop the marked slice and the ``fixed`` objects below the mark: what a marked opcode consumes."""
    if not marks:
        raise ModelFileError(f"not a readable pickle ({name} without a MARK at byte {at})")
    start = marks.pop() - fixed
    if not 0 <= start <= len(stack) - fixed:
        raise ModelFileError(f"not a readable pickle ({name} on a short stack at byte {at})")
    args = stack[start:]
    del stack[start:]
    return args
