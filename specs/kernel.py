"""The kernel every reference model imports: Solidity values, errors, events, mappings, the world.

A model is written once and runs two ways:
- concretely, on Python ints: the oracle of differential fuzzing and the engine of simulation;
- symbolically, on z3 terms: the transition relation of the proofs (`invariants/prover.py`).

Model code does not know which. Values wrap either an `int` or a z3 term. Checked arithmetic behaves
like Solidity 0.8 (overflow, underflow and division by zero raise `Revert(Panic(...))`). Where a
symbolic condition must become a Python `bool` (an `if`, a `require`), the kernel asks the active
path oracle (`Explorer`) which branch to take and records the condition; re-running the function
with every feasible decision prefix yields all its paths. Division and the integer square root on
symbolic values introduce fresh variables fixed by their defining inequalities (floor division as
`b*q <= a < b*(q+1)`), guarded by the path condition under which they were made, so that a
definition never constrains a path that did not make it. `keccak256(abi.encode(...))` of symbolic
values is an uninterpreted function, one per type signature (`keccak256_abi`, `KECCAK_FUNCTIONS`).

Beyond scalars and mappings: enums (`Enum`, a bounded index; `E.convert(u)` panics 0x21), structs
(`Struct`; in a mapping one store per leaf member, read and written through `StructRef`), storage
arrays (`Array`, T[N] and T[]: elements as a mapping from the index plus a length term; panics 0x31
and 0x32), ETH (`World.balances`, `@payable`, `msg.value`, `World.call` and `World.send_value`, whose
receiver may reenter) and `string`/`bytes` values (`String`, `DynBytes`, concrete only). What has no
symbolic encoding raises `Unsupported`, which the prover reports as UNSUPPORTED naming the construct.

Integers are encoded as z3 `Int` with range constraints 0 <= x < 2**bits: exact for checked
arithmetic, where an out-of-range result reverts. Bit-vectors are kept for bitwise and `unchecked`
code (none in the suite yet: wrapping operations are written with explicit `If`).
"""

from __future__ import annotations

from specs import budget
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable

import z3
from eth_abi import encode as abi_encode
from eth_utils import keccak

# ---------------------------------------------------------------------------------------------
# Errors: modelled reverts, model bugs
# ---------------------------------------------------------------------------------------------


class ModelBug(Exception):
    """The reference model broke one of its own assumptions (not contract behaviour)."""


class Unsupported(ModelBug):
    """A construct the symbolic encoding does not have (yet): the prover reports UNSUPPORTED naming
    `construct`, never a proof that left it out."""

    def __init__(self, construct: str, detail: str = ""):
        super().__init__(f"UNSUPPORTED: {construct}" + (f" ({detail})" if detail else ""))
        self.construct = construct


@dataclass(frozen=True)
class SolidityError:
    """Base of every revert reason. Subclasses are frozen dataclasses whose fields are the
    error's ABI parameters in declaration order; the class name is the ABI name."""

    @classmethod
    def abi_name(cls) -> str:
        return cls.__name__

    def args(self) -> tuple:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def concrete_args(self) -> tuple:
        return tuple(concrete(a) for a in self.args())

    def __str__(self) -> str:
        inner = ", ".join(f"{f.name}={concrete_or_term(getattr(self, f.name))}" for f in dataclasses.fields(self))
        return f"{self.abi_name()}({inner})"


@dataclass(frozen=True)
class Panic(SolidityError):
    """Solidity's `Panic(uint256)`: 0x01 assert, 0x11 arithmetic over/underflow, 0x12 division by zero,
    0x21 conversion to an enum out of its range, 0x31 pop of an empty array, 0x32 index out of bounds."""

    code: int

    ARITHMETIC: ClassVar[int] = 0x11
    DIVISION_BY_ZERO: ClassVar[int] = 0x12
    ENUM_CONVERSION: ClassVar[int] = 0x21
    EMPTY_ARRAY_POP: ClassVar[int] = 0x31
    ARRAY_INDEX: ClassVar[int] = 0x32


@dataclass(frozen=True)
class Error(SolidityError):
    """Solidity's `Error(string)`, from `require(cond, "message")`."""

    message: str


@dataclass(frozen=True)
class EmptyRevert(SolidityError):
    """A revert without data: value sent to a non-payable function or a contract without `receive`,
    a call with more value than the caller holds."""

    @classmethod
    def abi_name(cls) -> str:
        return ""


class Revert(Exception):
    """A modelled revert: the call fails with `error` and no state change survives."""

    def __init__(self, error: SolidityError):
        super().__init__(str(error))
        self.error = error


def require(cond: Any, error: SolidityError) -> None:
    """`if (!cond) revert error;` The condition may be symbolic."""
    if not truth(cond):
        raise Revert(error)


# ---------------------------------------------------------------------------------------------
# Symbolic execution: the path oracle
# ---------------------------------------------------------------------------------------------

_ORACLES: list["Oracle"] = []


def is_sym(x: Any) -> bool:
    return isinstance(x, z3.ExprRef)


def truth(cond: Any) -> bool:
    """Turn a (possibly symbolic) condition into a Python bool, asking the oracle if needed."""
    if isinstance(cond, Bool):
        cond = cond.v
    if isinstance(cond, (bool, int)):
        return bool(cond)
    if isinstance(cond, z3.BoolRef):
        simplified = z3.simplify(cond)
        if z3.is_true(simplified):
            return True
        if z3.is_false(simplified):
            return False
        if not _ORACLES:
            raise ModelBug(f"symbolic branch on {cond} outside of an Explorer run")
        return _ORACLES[-1].decide(cond)
    raise ModelBug(f"cannot take the truth of {cond!r}")


def fresh(name: str, sort: z3.SortRef | None = None) -> z3.ExprRef:
    if not _ORACLES:
        raise ModelBug("fresh symbolic value requested outside of an Explorer run")
    return _ORACLES[-1].fresh(name, sort if sort is not None else z3.IntSort())  # a z3 sort has no truth value


def assume(cond: z3.BoolRef) -> None:
    """Restrict the current path to states where `cond` holds (an environment assumption the prover
    states in its results, never a branch of the model)."""
    if not _ORACLES:
        raise ModelBug("assumption outside of an Explorer run")
    _ORACLES[-1].conditions.append(cond)


def define(term: z3.BoolRef) -> None:
    """Add a definition of a fresh variable, guarded by the current path condition."""
    if not _ORACLES:
        raise ModelBug("definition outside of an Explorer run")
    _ORACLES[-1].define(term)


class Oracle:
    """Decides branches for one run of a function along a given decision prefix."""

    def __init__(self, explorer: "Explorer", prefix: list[bool]):
        self.explorer = explorer
        self.prefix = prefix
        self.decisions: list[bool] = []
        self.conditions: list[z3.BoolRef] = []  # the path condition, in order
        self.definitions: list[z3.BoolRef] = []  # guarded definitions of fresh variables
        self.alternatives: list[list[bool]] = []  # prefixes still to explore

    def fresh(self, name: str, sort: z3.SortRef) -> z3.ExprRef:
        self.explorer.counter += 1
        return z3.Const(f"{name}!{self.explorer.counter}", sort)

    def define(self, term: z3.BoolRef) -> None:
        guard = z3.And(*self.conditions) if self.conditions else z3.BoolVal(True)
        self.definitions.append(z3.Implies(guard, term))

    def decide(self, cond: z3.BoolRef) -> bool:
        i = len(self.decisions)
        if i < len(self.prefix):
            choice = self.prefix[i]
        else:
            can_true = self.explorer.feasible(self.conditions + [cond], self.definitions)
            can_false = self.explorer.feasible(self.conditions + [z3.Not(cond)], self.definitions)
            if can_true and can_false:
                choice = True
                self.alternatives.append(self.decisions + [False])
            elif can_true or can_false:
                choice = can_true
            else:  # the current path itself is infeasible: cannot happen when prefixes were checked
                raise ModelBug("no feasible branch on an explored path")
            if len(self.decisions) >= self.explorer.max_depth:
                raise ModelBug(f"path deeper than {self.explorer.max_depth} decisions: unbounded loop?")
        self.decisions.append(choice)
        self.conditions.append(cond if choice else z3.Not(cond))
        return choice


@dataclass
class Path:
    """One path of a function: its condition, the definitions it made, and how it ended."""

    conditions: list[z3.BoolRef]
    definitions: list[z3.BoolRef]
    returned: Any = None
    reverted: SolidityError | None = None
    result: Any = None  # whatever the explored callable chose to return alongside (e.g. post-state)

    @property
    def ok(self) -> bool:
        return self.reverted is None

    def condition(self) -> z3.BoolRef:
        return z3.And(*self.conditions) if self.conditions else z3.BoolVal(True)


class Explorer:
    """Runs a function once per feasible path (depth first over decision prefixes).

    `base` are facts that hold on every path (range constraints of the symbolic inputs); branches
    infeasible under base and the current path condition are pruned. A solver `unknown` counts as
    feasible: exploring a path too many never makes a proof unsound. `oracle_class` decides the branches
    (a subclass may swap it, e.g. to explore success paths only).
    """

    oracle_class: type = Oracle

    def __init__(self, base: Iterable[z3.BoolRef] = (), *, prune: bool = True, rlimit: int = budget.EXPLORE,
                 max_depth: int = 200, max_paths: int = 10_000):
        self.base = list(base)
        self.prune = prune
        self.rlimit = rlimit
        self.max_depth = max_depth
        self.max_paths = max_paths
        self.counter = 0
        self.solver_checks = 0

    def feasible(self, conditions: list[z3.BoolRef], definitions: list[z3.BoolRef]) -> bool:
        if not self.prune:
            return True
        s = budget.solver(self.rlimit)
        s.add(*self.base, *definitions, *conditions)
        self.solver_checks += 1
        return budget.check(s) != z3.unsat

    def explore(self, fn: Callable[[], Any]) -> list[Path]:
        paths: list[Path] = []
        pending: list[list[bool]] = [[]]
        while pending:
            prefix = pending.pop()
            oracle = self.oracle_class(self, prefix)
            _ORACLES.append(oracle)
            try:
                try:
                    result = fn()
                    path = Path(oracle.conditions, oracle.definitions, result=result)
                except Revert as r:
                    path = Path(oracle.conditions, oracle.definitions, reverted=r.error)
            finally:
                _ORACLES.pop()
            paths.append(path)
            pending.extend(reversed(oracle.alternatives))
            if len(paths) > self.max_paths:
                raise ModelBug(f"more than {self.max_paths} paths")
        return paths


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def concrete(x: Any) -> Any:
    """The plain Python value of a model value (int for numbers and addresses, bool for bools)."""
    if isinstance(x, (Uint, Sint, Address, Bytes32, Enum)):
        if is_sym(x.v):
            raise ModelBug(f"{x!r} is symbolic")
        return x.v
    if isinstance(x, Bool):
        if is_sym(x.v):
            raise ModelBug(f"{x!r} is symbolic")
        return bool(x.v)
    return x


def concrete_or_term(x: Any) -> Any:
    return x.v if isinstance(x, (Uint, Sint, Address, Bytes32, Bool, Enum)) else x


def term(x: Any) -> Any:
    """The int or z3 term behind a value (bools become z3 BoolVal when mixing is needed)."""
    if isinstance(x, (Uint, Sint, Address, Bytes32, Bool, Enum)):
        return x.v
    return x


class Bool:
    """A Solidity bool. `if b:` resolves a symbolic one through the path oracle."""

    __slots__ = ("v",)

    def __init__(self, v: bool | z3.BoolRef):
        self.v = v

    def __bool__(self) -> bool:
        return truth(self.v)

    def __invert__(self) -> "Bool":
        return Bool(z3.Not(self.v) if is_sym(self.v) else not self.v)

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        o = other.v if isinstance(other, Bool) else other
        if is_sym(self.v) or is_sym(o):
            return Bool(self.v == o if is_sym(self.v) else o == self.v)
        return Bool(self.v == o)

    def __hash__(self) -> int:
        return hash(concrete(self))

    def __repr__(self) -> str:
        return f"Bool({self.v})"

    @staticmethod
    def symbolic(name: str) -> "Bool":
        return Bool(z3.Bool(name))

    def range_constraints(self) -> list[z3.BoolRef]:
        return []


def _cmp(a: Any, b: Any, op: Callable[[Any, Any], Any]) -> Any:
    r = op(a, b)
    return Bool(r) if is_sym(r) else r


class _Ordered:
    """`<`, `<=`, `>`, `>=` for number wrappers: Python bools when concrete, `Bool` when symbolic.
    Subclasses define `_o`, which checks and unwraps the other operand."""

    __slots__ = ()
    v: Any
    _o: Any  # defined by each subclass

    def __lt__(self, o: Any) -> Any:
        return _cmp(self.v, self._o(o), lambda a, b: a < b)

    def __le__(self, o: Any) -> Any:
        return _cmp(self.v, self._o(o), lambda a, b: a <= b)

    def __gt__(self, o: Any) -> Any:
        return _cmp(self.v, self._o(o), lambda a, b: a > b)

    def __ge__(self, o: Any) -> Any:
        return _cmp(self.v, self._o(o), lambda a, b: a >= b)


class Int(_Ordered):
    """A mathematical integer (no range, no overflow): for stating invariants and sums, never for
    modelling contract arithmetic. Comparisons resolve like every other condition."""

    __slots__ = ("v",)

    def __init__(self, v: Any):
        self.v = v.v if isinstance(v, (Uint, Sint, Int)) else v

    def _o(self, o: Any) -> Any:
        return o.v if isinstance(o, (Uint, Sint, Int)) else o

    def __add__(self, o: Any) -> "Int":
        return Int(self.v + self._o(o))

    __radd__ = __add__

    def __sub__(self, o: Any) -> "Int":
        return Int(self.v - self._o(o))

    def __mul__(self, o: Any) -> "Int":
        return Int(self.v * self._o(o))

    __rmul__ = __mul__

    def __eq__(self, o: object) -> Any:  # type: ignore[override]
        return _cmp(self.v, self._o(o), lambda a, b: a == b)

    def __ne__(self, o: object) -> Any:  # type: ignore[override]
        return _cmp(self.v, self._o(o), lambda a, b: a != b)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Int({self.v})"


class Uint(_Ordered):
    """An unsigned Solidity integer of `bits` bits with checked (0.8) arithmetic.

    Concrete values are ints; symbolic ones z3 Ints. Mixing with plain Python ints is allowed for
    literals (`x + 1`); mixing widths is a model bug, as in Solidity without an explicit cast.
    """

    __slots__ = ("v",)
    bits: ClassVar[int] = 256
    MOD: ClassVar[int] = 1 << 256
    MAX: ClassVar[int] = (1 << 256) - 1

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "bits" in cls.__dict__:  # a width: its modulus and bound follow from it
            cls.MOD, cls.MAX = 1 << cls.bits, (1 << cls.bits) - 1

    def __init__(self, v: int | z3.ArithRef):
        if isinstance(v, int):
            if not 0 <= v < self.MOD:
                raise ModelBug(f"{type(self).__name__}({v}) out of range")
        elif not is_sym(v):
            raise ModelBug(f"{type(self).__name__}({v!r}): not an int or a z3 term")
        self.v = v

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def symbolic(cls, name: str) -> "Uint":
        return cls(z3.Int(name))

    def range_constraints(self) -> list[z3.BoolRef]:
        return [self.v >= 0, self.v < self.MOD] if is_sym(self.v) else []

    def _o(self, other: Any) -> Any:
        if isinstance(other, Uint):
            if type(other) is not type(self):
                raise ModelBug(f"mixing {type(self).__name__} and {type(other).__name__}")
            return other.v
        if isinstance(other, int) and not isinstance(other, bool):
            if not 0 <= other < self.MOD:
                raise ModelBug(f"literal {other} out of range for {type(self).__name__}")
            return other
        if is_sym(other):
            return other
        raise ModelBug(f"cannot combine {type(self).__name__} with {other!r}")

    def _checked(self, r: Any, *, low: bool = False) -> "Uint":
        """Solidity 0.8's overflow check: `low` checks underflow (subtraction), else overflow."""
        if is_sym(r):
            if truth(r < 0) if low else truth(r >= self.MOD):
                raise Revert(Panic(Panic.ARITHMETIC))
            return type(self)(r)
        if not 0 <= r < self.MOD:
            raise Revert(Panic(Panic.ARITHMETIC))
        return type(self)(r)

    # -- checked arithmetic ------------------------------------------------------------------
    def __add__(self, other: Any) -> "Uint":
        return self._checked(self.v + self._o(other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> "Uint":
        return self._checked(self.v - self._o(other), low=True)

    def __rsub__(self, other: Any) -> "Uint":
        return self._checked(self._o(other) - self.v, low=True)

    def __mul__(self, other: Any) -> "Uint":
        return self._checked(self.v * self._o(other))

    __rmul__ = __mul__

    def __floordiv__(self, other: Any) -> "Uint":
        return type(self)(_udiv(self.v, self._o(other)))

    def __rfloordiv__(self, other: Any) -> "Uint":
        return type(self)(_udiv(self._o(other), self.v))

    def __mod__(self, other: Any) -> "Uint":
        a, b = self.v, self._o(other)
        q = _udiv(a, b)
        return type(self)(a - b * q)

    # -- wrapping arithmetic (Solidity `unchecked { }`) --------------------------------------
    def wrapping_add(self, other: Any) -> "Uint":
        r = self.v + self._o(other)
        if is_sym(r):
            return type(self)(z3.If(r >= self.MOD, r - self.MOD, r))
        return type(self)(r % self.MOD)

    def wrapping_sub(self, other: Any) -> "Uint":
        r = self.v - self._o(other)
        if is_sym(r):
            return type(self)(z3.If(r < 0, r + self.MOD, r))
        return type(self)(r % self.MOD)

    # -- comparisons -------------------------------------------------------------------------
    def __eq__(self, o: object) -> Any:  # type: ignore[override]
        if not isinstance(o, (Uint, int)) and not is_sym(o):
            return NotImplemented
        return _cmp(self.v, self._o(o), lambda a, b: a == b)

    def __ne__(self, o: object) -> Any:  # type: ignore[override]
        if not isinstance(o, (Uint, int)) and not is_sym(o):
            return NotImplemented
        return _cmp(self.v, self._o(o), lambda a, b: a != b)

    def __hash__(self) -> int:
        return hash(concrete(self))

    def __int__(self) -> int:
        return concrete(self)

    def __index__(self) -> int:
        return concrete(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.v})"


def _udiv(a: Any, b: Any) -> Any:
    """Floor division with Solidity's division-by-zero panic; symbolic quotients are defined by
    their inequalities (b*q <= a < b*(q+1)), which keeps nonlinear lemmas tractable."""
    if not is_sym(a) and not is_sym(b):
        if b == 0:
            raise Revert(Panic(Panic.DIVISION_BY_ZERO))
        return a // b
    if truth(b == 0 if is_sym(b) else z3.BoolVal(b == 0)):
        raise Revert(Panic(Panic.DIVISION_BY_ZERO))
    if not is_sym(a) and a == 0:
        return 0
    q = fresh("q")
    define(z3.And(q >= 0, b * q <= a, a < b * (q + 1)))
    return q


class U256(Uint):
    bits = 256


class U128(Uint):
    bits = 128


class U32(Uint):
    bits = 32


class U96(Uint):
    bits = 96


class U8(Uint):
    bits = 8


class U16(Uint):
    bits = 16


class U64(Uint):
    bits = 64


class Sint(_Ordered):
    """A signed Solidity integer of `bits` bits (two's complement range) with checked (0.8)
    arithmetic: an out-of-range `+`, `-`, `*`, unary `-` or `type(intN).min / -1` raises
    `Revert(Panic(0x11))`; division truncates towards zero as in Solidity, `x / 0` and `x % 0`
    raise `Revert(Panic(0x12))`. Concrete values are ints; symbolic ones z3 Ints, constrained by
    `range_constraints()` to MIN <= x <= MAX. Mixing widths is a model bug (use `.to(T)` for an
    implicit widening, `.cast(T)` for Solidity's explicit wrapping conversion); plain Python ints
    are literals. Mixing with unsigned types is a model bug too (`Sint.from_uint`, `.to_uint`).
    """

    __slots__ = ("v",)
    bits: ClassVar[int] = 256
    MIN: ClassVar[int] = -(1 << 255)
    MAX: ClassVar[int] = (1 << 255) - 1

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "bits" in cls.__dict__:  # a width: its two's complement bounds follow from it
            cls.MIN, cls.MAX = -(1 << (cls.bits - 1)), (1 << (cls.bits - 1)) - 1

    def __init__(self, v: int | z3.ArithRef):
        if isinstance(v, int) and not isinstance(v, bool):
            if not self.MIN <= v <= self.MAX:
                raise ModelBug(f"{type(self).__name__}({v}) out of range")
        elif not is_sym(v):
            raise ModelBug(f"{type(self).__name__}({v!r}): not an int or a z3 term")
        self.v = v

    @classmethod
    def symbolic(cls, name: str) -> "Sint":
        return cls(z3.Int(name))

    def range_constraints(self) -> list[z3.BoolRef]:
        return [self.v >= self.MIN, self.v <= self.MAX] if is_sym(self.v) else []

    def _o(self, other: Any) -> Any:
        if isinstance(other, Sint):
            if type(other) is not type(self):
                raise ModelBug(f"mixing {type(self).__name__} and {type(other).__name__}")
            return other.v
        if isinstance(other, int) and not isinstance(other, bool):
            if not self.MIN <= other <= self.MAX:
                raise ModelBug(f"literal {other} out of range for {type(self).__name__}")
            return other
        if is_sym(other):
            return other
        raise ModelBug(f"cannot combine {type(self).__name__} with {other!r}")

    def _checked(self, r: Any) -> "Sint":
        if is_sym(r):
            if truth(z3.Or(r < self.MIN, r > self.MAX)):
                raise Revert(Panic(Panic.ARITHMETIC))
            return type(self)(r)
        if not self.MIN <= r <= self.MAX:
            raise Revert(Panic(Panic.ARITHMETIC))
        return type(self)(r)

    # -- checked arithmetic ------------------------------------------------------------------
    def __add__(self, other: Any) -> "Sint":
        return self._checked(self.v + self._o(other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> "Sint":
        return self._checked(self.v - self._o(other))

    def __rsub__(self, other: Any) -> "Sint":
        return self._checked(self._o(other) - self.v)

    def __mul__(self, other: Any) -> "Sint":
        return self._checked(self.v * self._o(other))

    __rmul__ = __mul__

    def __neg__(self) -> "Sint":
        return self._checked(-self.v)

    def __floordiv__(self, other: Any) -> "Sint":
        """Solidity `/` on signed integers: truncation towards zero (not Python's floor)."""
        return self._checked(_sdiv(self.v, self._o(other)))

    def __mod__(self, other: Any) -> "Sint":
        """Solidity `%` on signed integers: the sign of the dividend."""
        a, b = self.v, self._o(other)
        return type(self)(a - b * _sdiv(a, b))

    # -- conversions -------------------------------------------------------------------------
    def fits(self, t: type) -> Any:
        """Whether the value is in the range of type `t` (a Sint or Uint subclass): a Python bool
        when concrete, a `Bool` when symbolic."""
        lo, hi = (t.MIN, t.MAX) if issubclass(t, Sint) else (0, t.MAX)
        if is_sym(self.v):
            return Bool(z3.And(self.v >= lo, self.v <= hi))
        return lo <= self.v <= hi

    def to(self, t: type) -> Any:
        """An implicit conversion that cannot lose information (a wider type); a model bug if the
        value does not fit (use SafeCast-style checks in the model before narrowing)."""
        if not is_sym(self.v) and not self.fits(t):
            raise ModelBug(f"{self!r} does not fit {t.__name__}")
        return t(self.v)

    def cast(self, t: type) -> Any:
        """Solidity's explicit conversion to another integer type of the same signedness or to a
        different width: keeps the low `t.bits` bits (two's complement)."""
        mod = 1 << t.bits
        if is_sym(self.v):
            r = self.v % mod  # z3: Euclidean, in [0, mod)
            if issubclass(t, Sint):
                r = z3.If(r > t.MAX, r - mod, r)
            return t(r)
        r = self.v % mod
        if issubclass(t, Sint) and r > t.MAX:
            r -= mod
        return t(r)

    @classmethod
    def from_uint(cls, u: "Uint") -> "Sint":
        """A widening conversion from an unsigned value known to fit (model bug otherwise)."""
        if not is_sym(u.v) and u.v > cls.MAX:
            raise ModelBug(f"{u!r} does not fit {cls.__name__}")
        return cls(u.v)

    def to_uint(self, t: type) -> "Uint":
        """The unsigned value of a non-negative signed value that fits `t` (model bug otherwise)."""
        if not is_sym(self.v) and not 0 <= self.v <= t.MAX:
            raise ModelBug(f"{self!r} is not a {t.__name__}")
        return t(self.v)

    # -- comparisons -------------------------------------------------------------------------
    def __eq__(self, o: object) -> Any:  # type: ignore[override]
        if not isinstance(o, (Sint, int)) and not is_sym(o):
            return NotImplemented
        return _cmp(self.v, self._o(o), lambda a, b: a == b)

    def __ne__(self, o: object) -> Any:  # type: ignore[override]
        if not isinstance(o, (Sint, int)) and not is_sym(o):
            return NotImplemented
        return _cmp(self.v, self._o(o), lambda a, b: a != b)

    def __hash__(self) -> int:
        return hash(concrete(self))

    def __int__(self) -> int:
        return concrete(self)

    def __index__(self) -> int:
        return concrete(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.v})"


def _sdiv(a: Any, b: Any) -> Any:
    """Signed division truncating towards zero, with the division-by-zero panic."""
    if not is_sym(a) and not is_sym(b):
        if b == 0:
            raise Revert(Panic(Panic.DIVISION_BY_ZERO))
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    if truth(b == 0 if is_sym(b) else z3.BoolVal(b == 0)):
        raise Revert(Panic(Panic.DIVISION_BY_ZERO))
    abs_a = z3.If(a >= 0, a, -a) if is_sym(a) else abs(a)
    abs_b = z3.If(b >= 0, b, -b) if is_sym(b) else abs(b)
    q = fresh("sq")
    define(z3.And(q >= 0, abs_b * q <= abs_a, abs_a < abs_b * (q + 1)))
    same = z3.Or(a == 0, (a >= 0) == (b >= 0)) if is_sym(a) or is_sym(b) else z3.BoolVal((a >= 0) == (b >= 0))
    return z3.If(same, q, -q)


class I96(Sint):
    bits = 96


class I128(Sint):
    bits = 128


class I256(Sint):
    bits = 256


class Address:
    """A Solidity address (160 bits). No arithmetic; equality and use as a mapping key."""

    __slots__ = ("v",)
    MOD: ClassVar[int] = 1 << 160

    def __init__(self, v: int | z3.ArithRef):
        if isinstance(v, Address):
            v = v.v
        if isinstance(v, int) and not 0 <= v < self.MOD:
            raise ModelBug(f"Address({v:#x}) out of range")
        self.v = v

    @classmethod
    def symbolic(cls, name: str) -> "Address":
        return cls(z3.Int(name))

    def range_constraints(self) -> list[z3.BoolRef]:
        return [self.v >= 0, self.v < self.MOD] if is_sym(self.v) else []

    def __eq__(self, o: object) -> Any:  # type: ignore[override]
        ov = o.v if isinstance(o, Address) else o
        return _cmp(self.v, ov, lambda a, b: a == b)

    def __ne__(self, o: object) -> Any:  # type: ignore[override]
        ov = o.v if isinstance(o, Address) else o
        return _cmp(self.v, ov, lambda a, b: a != b)

    def __hash__(self) -> int:
        return hash(concrete(self))

    def __repr__(self) -> str:
        return f"Address({self.v:#042x})" if isinstance(self.v, int) else f"Address({self.v})"


ZERO_ADDRESS = Address(0)


class Bytes32:
    """A Solidity bytes32, held as the big-endian integer of its 32 bytes."""

    __slots__ = ("v",)
    MOD: ClassVar[int] = 1 << 256

    def __init__(self, v: int | bytes | z3.ArithRef):
        if isinstance(v, (bytes, bytearray)):
            if len(v) != 32:
                raise ModelBug(f"bytes32 of length {len(v)}")
            v = int.from_bytes(v, "big")
        self.v = v

    @classmethod
    def symbolic(cls, name: str) -> "Bytes32":
        return cls(z3.Int(name))

    def range_constraints(self) -> list[z3.BoolRef]:
        return [self.v >= 0, self.v < self.MOD] if is_sym(self.v) else []

    def to_bytes(self) -> bytes:
        return concrete(self).to_bytes(32, "big")

    def __eq__(self, o: object) -> Any:  # type: ignore[override]
        ov = o.v if isinstance(o, Bytes32) else o
        return _cmp(self.v, ov, lambda a, b: a == b)

    def __hash__(self) -> int:
        return hash(concrete(self))

    def __repr__(self) -> str:
        return f"Bytes32({self.v:#066x})" if isinstance(self.v, int) else f"Bytes32({self.v})"


class Enum(_Ordered):
    """A Solidity enum: its member index (held like a uint8), bounded by the number of members.

    Subclasses list their members: `class Status(Enum): MEMBERS = ("None_", "Active")`; each member is
    then a class attribute (`Status.Active`). `Status.convert(u)` is Solidity's explicit conversion
    `Status(u)` from an integer: `Revert(Panic(0x21))` when out of range. Constructing one out of range
    directly is a model bug. Symbolic values are z3 Ints with 0 <= x < len(MEMBERS)."""

    __slots__ = ("v",)
    MEMBERS: ClassVar[tuple[str, ...]] = ()
    MOD: ClassVar[int] = 0  # the number of members (the exclusive bound, as for Uint)
    MAX: ClassVar[int] = -1
    bits: ClassVar[int] = 8

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if not cls.MEMBERS or len(cls.MEMBERS) > 256 or len(set(cls.MEMBERS)) != len(cls.MEMBERS):
            raise ModelBug(f"enum {cls.__name__}: 1 to 256 distinct MEMBERS required")
        cls.MOD = len(cls.MEMBERS)
        cls.MAX = cls.MOD - 1
        for i, name in enumerate(cls.MEMBERS):
            if hasattr(Enum, name):
                raise ModelBug(f"enum {cls.__name__}: member name {name!r} clashes with the kernel")
            setattr(cls, name, cls(i))

    def __init__(self, v: Any):
        if isinstance(v, Enum):
            if type(v) is not type(self):
                raise ModelBug(f"mixing {type(self).__name__} and {type(v).__name__}")
            v = v.v
        if isinstance(v, int) and not isinstance(v, bool):
            if not 0 <= v < self.MOD:
                raise ModelBug(f"{type(self).__name__}({v}) out of range (members: {self.MEMBERS})")
        elif not is_sym(v):
            raise ModelBug(f"{type(self).__name__}({v!r}): not an int or a z3 term")
        self.v = v

    @classmethod
    def convert(cls, u: Any) -> "Enum":
        """Solidity's `E(u)` from an unsigned integer: Panic 0x21 when u is not a member's index."""
        x = u.v if isinstance(u, Uint) else u
        if is_sym(x):
            if truth(z3.Or(x < 0, x >= cls.MOD)):
                raise Revert(Panic(Panic.ENUM_CONVERSION))
            return cls(x)
        if not 0 <= x < cls.MOD:
            raise Revert(Panic(Panic.ENUM_CONVERSION))
        return cls(x)

    @classmethod
    def symbolic(cls, name: str) -> "Enum":
        return cls(z3.Int(name))

    def range_constraints(self) -> list[z3.BoolRef]:
        return [self.v >= 0, self.v < self.MOD] if is_sym(self.v) else []

    def _o(self, other: Any) -> Any:
        if isinstance(other, Enum):
            if type(other) is not type(self):
                raise ModelBug(f"comparing {type(self).__name__} with {type(other).__name__}")
            return other.v
        raise ModelBug(f"cannot compare {type(self).__name__} with {other!r} (convert explicitly)")

    def __eq__(self, o: object) -> Any:  # type: ignore[override]
        return _cmp(self.v, self._o(o), lambda a, b: a == b)

    def __ne__(self, o: object) -> Any:  # type: ignore[override]
        return _cmp(self.v, self._o(o), lambda a, b: a != b)

    def __hash__(self) -> int:
        return hash(concrete(self))

    def __int__(self) -> int:
        return concrete(self)

    def name(self) -> str:
        return self.MEMBERS[concrete(self)]

    def __repr__(self) -> str:
        if isinstance(self.v, int):
            return f"{type(self).__name__}.{self.MEMBERS[self.v]}"
        return f"{type(self).__name__}({self.v})"


SCALAR_TYPES: tuple[type, ...] = (Uint, Sint, Enum, Address, Bool, Bytes32)


def is_scalar_type(t: Any) -> bool:
    """A value type of the kernel (a storage leaf): unsigned and signed integers, enums, address,
    bool, bytes32."""
    return isinstance(t, type) and issubclass(t, SCALAR_TYPES)


# ---------------------------------------------------------------------------------------------
# EVM primitives
# ---------------------------------------------------------------------------------------------

# Every uninterpreted keccak256(abi.encode(...)) function made so far, with its type signature: the
# prover replaces each of its applications in a counterexample by the real hash of its arguments.
KECCAK_FUNCTIONS: dict[z3.FuncDeclRef, tuple[str, ...]] = {}
_KECCAK_BY_SIGNATURE: dict[tuple[str, ...], z3.FuncDeclRef] = {}


def abi_field_range(abi_type: str) -> tuple[int, int]:
    """The values (as the ints the kernel holds them) of one static ABI type: inclusive bounds.
    Supported: address, bool, bytes32, uintN, intN."""
    if abi_type == "address":
        return 0, Address.MOD - 1
    if abi_type == "bool":
        return 0, 1
    if abi_type == "bytes32":
        return 0, Bytes32.MOD - 1
    for prefix, signed in (("uint", False), ("int", True)):
        if abi_type.startswith(prefix) and abi_type[len(prefix):].isdigit():
            bits = int(abi_type[len(prefix):])
            if 8 <= bits <= 256 and bits % 8 == 0:
                return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    raise ModelBug(f"keccak256_abi: unsupported ABI type {abi_type!r} (static address, bool, bytes32, "
                   "uintN and intN only)")


def keccak_function(types: tuple[str, ...]) -> z3.FuncDeclRef:
    """The uninterpreted function standing for keccak256(abi.encode(...)) of one type signature: one
    Int argument per field, an Int result. The same signature always gives the same function, so two
    hashes of equal arguments are equal terms."""
    types = tuple(types)
    f = _KECCAK_BY_SIGNATURE.get(types)
    if f is None:
        for t in types:
            abi_field_range(t)
        f = z3.Function(f"keccak256_abi({','.join(types)})", *([z3.IntSort()] * len(types)), z3.IntSort())
        _KECCAK_BY_SIGNATURE[types] = f
        KECCAK_FUNCTIONS[f] = types
    return f


def keccak256_abi(types: tuple[str, ...], values: Iterable[Any]) -> Bytes32:
    """Solidity's `keccak256(abi.encode(values...))`, the values encoded as `types` (static types:
    address, bool, bytes32, uintN, intN). Values are kernel values or plain ints/bools.

    Concrete values are hashed for real (eth_abi, eth_utils). If any value is symbolic the hash is the
    application of the signature's uninterpreted function (`keccak_function`) to every field, constants
    included, defined to lie in [0, 2**256). Nothing makes the function injective: a proof that needs
    "equal hashes mean equal preimages" must add that axiom itself."""
    types = tuple(types)
    raw = [term(v) for v in values]
    if len(raw) != len(types):
        raise ModelBug(f"keccak256_abi: {len(raw)} values for {len(types)} types")
    if any(is_sym(v) for v in raw):
        args = [z3.If(v, 1, 0) if isinstance(v, z3.BoolRef) else int(v) if isinstance(v, bool) else v for v in raw]
        h = keccak_function(types)(*args)
        define(z3.And(h >= 0, h < (1 << 256)))
        return Bytes32(h)
    encoded = []
    for t, v in zip(types, raw):
        lo, hi = abi_field_range(t)
        if not lo <= int(v) <= hi:
            raise ModelBug(f"keccak256_abi: {v} is not a {t}")
        if t == "address":
            encoded.append(int(v).to_bytes(20, "big"))
        elif t == "bytes32":
            encoded.append(int(v).to_bytes(32, "big"))
        elif t == "bool":
            encoded.append(bool(v))
        else:
            encoded.append(int(v))
    return Bytes32(keccak(abi_encode(list(types), encoded)))


def zero_of(value_type: type) -> Any:
    if value_type is Bool:
        return Bool(False)
    return value_type(0)


def _sort_of(value_type: type) -> z3.SortRef:
    return z3.BoolSort() if value_type is Bool else z3.IntSort()


# ---------------------------------------------------------------------------------------------
# Structs
# ---------------------------------------------------------------------------------------------


class Struct:
    """A Solidity struct value (memory semantics when copied with `.copy()`).

    Subclasses declare their members as annotations, in Solidity declaration order (the order solc
    lays them out in storage): `class Terms(Struct): fee: U64; open: Bool`. A member is a kernel
    scalar (`is_scalar_type`), a `String` or `DynBytes`, or another Struct; anything else is refused
    when the class is made.
    `Provider(stake=U128(5))` leaves the other members zero. Assigning a member checks its type (a
    plain int literal is converted). A struct held in a mapping is read and written through a
    `StructRef` (storage semantics); a struct state variable is a Struct instance on the model and
    assignments to its members change it in place, as Solidity storage does.

    Symbolically a struct is its leaves: one z3 term per scalar member (nested structs flattened),
    `Struct.symbolic(name)`; in a mapping, one z3 array per leaf (`Mapping`), and two for a string or
    bytes member (its content id and its length, see `bytes_id`)."""

    FIELDS: ClassVar[tuple[tuple[str, type], ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        import sys
        import typing

        try:
            hints = typing.get_type_hints(cls)
        except NameError:  # a struct declared inside a function naming another local one
            frame, local_names = sys._getframe(1), {}
            while frame is not None and not local_names:
                if frame.f_code.co_name != "__init_subclass__":
                    local_names = dict(frame.f_locals)
                frame = frame.f_back
            hints = typing.get_type_hints(cls, localns=local_names)
        own = [n for n in cls.__dict__.get("__annotations__", {}) if not str(hints.get(n, "")).startswith("typing.ClassVar")]
        fields = []
        for n in own:
            t = hints[n]
            if not (is_scalar_type(t) or (isinstance(t, type) and issubclass(t, (Struct, DynBytes)))):
                raise Unsupported(f"struct member type {getattr(t, '__name__', t)}",
                                  f"{cls.__name__}.{n}: structs hold kernel scalars, string, bytes and structs")
            fields.append((n, t))
        if not fields:
            raise ModelBug(f"struct {cls.__name__} has no members")
        cls.FIELDS = tuple(fields)

    def __init__(self, **members: Any):
        for n, t in self.FIELDS:
            v = members.pop(n, None)
            object.__setattr__(self, n, t() if v is None and issubclass(t, (Struct, DynBytes)) else
                               zero_of(t) if v is None else _coerce(t, v, f"{type(self).__name__}.{n}"))
        if members:
            raise ModelBug(f"{type(self).__name__} has no members {sorted(members)}")

    @classmethod
    def field_type(cls, name: str) -> type:
        for n, t in cls.FIELDS:
            if n == name:
                return t
        raise ModelBug(f"struct {cls.__name__} has no member {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        t = self.field_type(name)
        object.__setattr__(self, name, _coerce(t, value, f"{type(self).__name__}.{name}"))

    @classmethod
    def leaves(cls) -> list[tuple[tuple[str, ...], type]]:
        """Every scalar member, nested structs flattened: (path of member names, scalar type)."""
        out: list[tuple[tuple[str, ...], type]] = []
        for n, t in cls.FIELDS:
            if issubclass(t, Struct):
                out += [((n,) + p, lt) for p, lt in t.leaves()]
            else:
                out.append(((n,), t))
        return out

    def get_leaf(self, path: tuple[str, ...]) -> Any:
        v: Any = self
        for n in path:
            v = getattr(v, n)
        return v

    def set_leaf(self, path: tuple[str, ...], value: Any) -> None:
        self.get_leaf(path[:-1]).__setattr__(path[-1], value)

    def copy(self) -> "Struct":
        c = type(self).__new__(type(self))
        for n, t in self.FIELDS:
            v = getattr(self, n)
            object.__setattr__(c, n, v.copy() if isinstance(v, Struct) else v)
        return c

    @classmethod
    def symbolic(cls, name: str) -> "Struct":
        s = cls()
        for path, t in cls.leaves():
            s.set_leaf(path, t.symbolic(f"{name}.{'.'.join(path)}"))
        return s

    def range_constraints(self) -> list[z3.BoolRef]:
        return [c for path, _ in self.leaves() for c in self.get_leaf(path).range_constraints()]

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        raise ModelBug("Solidity has no == on structs: compare members")

    def as_tuple(self) -> tuple:
        """The members in declaration order (what a getter returning the struct gives)."""
        return tuple(getattr(self, n) for n, _ in self.FIELDS)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n, _ in self.FIELDS)
        return f"{type(self).__name__}({inner})"


def _coerce(t: type, v: Any, where: str) -> Any:
    """`v` as a value of kernel type `t` (plain int and bool literals converted; a StructRef loaded)."""
    if isinstance(v, StructRef):
        v = v.load()
    if isinstance(t, type) and issubclass(t, DynBytes):
        if type(v) is t:
            return v
        if isinstance(v, (str, bytes)):
            return t(v)
        raise ModelBug(f"{where}: {v!r} is not a {t.__name__}")
    if isinstance(v, t):
        return v.copy() if isinstance(v, Struct) else v
    if t is Bool and isinstance(v, bool):
        return Bool(v)
    if isinstance(v, int) and not isinstance(v, bool) and is_scalar_type(t) and t is not Bool:
        return t(v)
    raise ModelBug(f"{where}: {v!r} is not a {t.__name__}")


class StructRef:
    """A `storage` reference to the struct at one key of a struct-valued mapping (or to a nested
    struct member of it): reading a member reads the mapping, assigning one writes it."""

    __slots__ = ("_sr_mapping", "_sr_key", "_sr_type", "_sr_path")

    def __init__(self, mapping: "Mapping", key: tuple, struct_type: type, path: tuple[str, ...] = ()):
        object.__setattr__(self, "_sr_mapping", mapping)
        object.__setattr__(self, "_sr_key", key)
        object.__setattr__(self, "_sr_type", struct_type)
        object.__setattr__(self, "_sr_path", path)

    def _get_leaf(self, path: tuple[str, ...], t: type) -> Any:
        leaves = self._sr_mapping._leaves
        if issubclass(t, DynBytes):
            return bytes_value(t, leaves[path + (BYTES_CONTENT_LEAF,)].store.get(self._sr_key),
                               leaves[path + (BYTES_LENGTH_LEAF,)].store.get(self._sr_key))
        return _wrap(t, leaves[path].store.get(self._sr_key))

    def _set_leaf(self, path: tuple[str, ...], t: type, v: Any) -> None:
        leaves = self._sr_mapping._leaves
        if issubclass(t, DynBytes):
            content, length = bytes_parts(v)
            leaves[path + (BYTES_CONTENT_LEAF,)].store.set(self._sr_key, content)
            leaves[path + (BYTES_LENGTH_LEAF,)].store.set(self._sr_key, length)
        else:
            leaves[path].store.set(self._sr_key, v.v)

    def __getattr__(self, name: str) -> Any:
        t = self._sr_type.field_type(name)
        path = self._sr_path + (name,)
        if issubclass(t, Struct):
            return StructRef(self._sr_mapping, self._sr_key, t, path)
        return self._get_leaf(path, t)

    def __setattr__(self, name: str, value: Any) -> None:
        t = self._sr_type.field_type(name)
        path = self._sr_path + (name,)
        v = _coerce(t, value, f"{self._sr_type.__name__}.{name}")
        if issubclass(t, Struct):
            StructRef(self._sr_mapping, self._sr_key, t, path).store(v)
        else:
            self._set_leaf(path, t, v)

    def load(self) -> Struct:
        """A memory copy (`Provider memory p = providers[a];`)."""
        s = self._sr_type()
        for path, t in self._sr_type.leaves():
            s.set_leaf(path, self._get_leaf(self._sr_path + path, t))
        return s

    def store(self, value: Struct) -> None:
        """Assign a whole struct (`providers[a] = p;`)."""
        value = _coerce(self._sr_type, value, self._sr_type.__name__)
        for path, t in self._sr_type.leaves():
            self._set_leaf(self._sr_path + path, t, value.get_leaf(path))

    def as_tuple(self) -> tuple:
        """The members in declaration order, read now (what a getter returning the struct gives)."""
        return tuple(getattr(self, n) for n, _ in self._sr_type.FIELDS)

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        raise ModelBug("Solidity has no == on structs: compare members")

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StructRef({self._sr_type.__name__} at {self._sr_key}{''.join('.' + p for p in self._sr_path)})"


# ---------------------------------------------------------------------------------------------
# Mappings
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SumBy:
    """`summed=SumBy(i)` for a nested scalar mapping: ghost sums grouped by the key at position `i`
    (0: the outer key), one per value of that key, each updated by every write. `m.sum_by(g)` is the
    sum of the values whose key at position `i` is `g`: for `tokenBalances[user][token]`, SumBy(1) gives
    the total owed per token."""

    position: int


class Mapping:
    """`mapping(K => V)`, possibly nested (`Mapping(Address, Mapping(Address, U256))`).

    Concrete backend: a dict from key tuples to plain values (absent = zero). Symbolic backend: a
    z3 array from the flattened key (k1 * 2**256 + k2 ...) to the value, plus the list of keys a
    path touched (the prover instantiates per-key invariants there). With `summed=True` the mapping
    keeps a ghost sum of all its values, updated by every write (sum' = sum - old + new): the sum
    over a mapping without summing an array (the ghost-sum idea of Certora's hooks).

    Struct values (`Mapping(Address, Provider)`): one scalar mapping per leaf member of the struct
    (`leaf_mappings()`, nested structs flattened), each with its own store (dict, or z3 array when
    symbolic); `m[k]` is a `StructRef`, `m[k].stake = x` writes one leaf, `m[k] = Provider(...)` all.
    A string or bytes member is two scalar leaves, `.name.#content` and `.name.#length` (the value's
    content id, `bytes_id`, and its length in bytes): the prover reads and writes them like any other
    leaf, and reading the member assembles the value again (`bytes_value`).
    `summed=("stake",)` keeps the ghost sum of the named leaves (`m.sum("stake")`). `summed=SumBy(i)`
    keeps a ghost sum per value of the key at position `i` of a nested scalar mapping (`m.sum_by(g)`).
    """

    def __init__(self, key_type: type, value_type: "type | Mapping", *, summed: Any = False,
                 _store: "_Store | None" = None, _prefix: tuple = (), _leaves: "dict | None" = None):
        self.key_type = key_type
        self.value_type = value_type
        self.summed = summed
        self._prefix = _prefix
        leaf = self.leaf_type()
        if isinstance(leaf, type) and issubclass(leaf, Struct):
            if _leaves is None:
                names = _summed_leaves(leaf, summed)
                _leaves = {}
                for path, t in leaf.leaves():
                    if issubclass(t, DynBytes):  # a string or bytes member: its content id and its length
                        _leaves[path + (BYTES_CONTENT_LEAF,)] = _nested_mapping(self.key_types(), U256, False)
                        _leaves[path + (BYTES_LENGTH_LEAF,)] = _nested_mapping(self.key_types(), U256, False)
                    else:
                        _leaves[path] = _nested_mapping(self.key_types(), t, ".".join(path) in names)
            self._leaves: dict | None = _leaves
            self._store = None
        else:
            if not is_scalar_type(leaf):
                raise Unsupported(f"mapping value type {getattr(leaf, '__name__', leaf)}",
                                  "mapping values are kernel scalars, structs or mappings")
            if isinstance(summed, SumBy):
                if _prefix == () and not 0 <= summed.position < self.depth():
                    raise ModelBug(f"SumBy({summed.position}) of a mapping with {self.depth()} key(s)")
            elif summed not in (True, False):
                raise ModelBug("summed of a scalar mapping is True, False or SumBy(position)")
            self._leaves = None
            self._store = _store if _store is not None else _Store(self.depth(), summed, zero=zero_of(leaf).v)

    def depth(self) -> int:
        return 1 + (self.value_type.depth() if isinstance(self.value_type, Mapping) else 0)

    def leaf_type(self) -> type:
        return self.value_type.leaf_type() if isinstance(self.value_type, Mapping) else self.value_type

    def key_types(self) -> tuple[type, ...]:
        return (self.key_type,) + (self.value_type.key_types() if isinstance(self.value_type, Mapping) else ())

    @property
    def is_struct(self) -> bool:
        return self._leaves is not None

    def _key(self, k: Any) -> Any:
        if not isinstance(k, self.key_type):
            if isinstance(k, int) and not isinstance(k, bool):
                k = self.key_type(k)
            else:
                raise ModelBug(f"key {k!r} is not a {self.key_type.__name__}")
        return k.v

    def __getitem__(self, k: Any) -> Any:
        key = self._prefix + (self._key(k),)
        if isinstance(self.value_type, Mapping):
            return Mapping(self.value_type.key_type, self.value_type.value_type, summed=self.summed,
                           _store=self._store, _prefix=key, _leaves=self._leaves)
        if self._leaves is not None:
            return StructRef(self, key, self.value_type)
        return _wrap(self.value_type, self._store.get(key))

    def __setitem__(self, k: Any, value: Any) -> None:
        if isinstance(self.value_type, Mapping):
            raise ModelBug("cannot assign a whole inner mapping")
        key = self._prefix + (self._key(k),)
        if self._leaves is not None:
            StructRef(self, key, self.value_type).store(value)
            return
        if isinstance(value, (int, bool)) and not isinstance(value, Bool):
            value = _wrap(self.value_type, value)
        if not isinstance(value, self.value_type):
            raise ModelBug(f"value {value!r} is not a {self.value_type.__name__}")
        self._store.set(key, value.v)

    def __delitem__(self, k: Any) -> None:
        """Solidity's `delete m[k]`: the entry (every member of a struct) back to zero."""
        if isinstance(self.value_type, Mapping):
            raise ModelBug("cannot delete a whole inner mapping")
        if self._leaves is not None:
            self[k] = self.value_type()
        else:
            self[k] = zero_of(self.value_type)

    def sum(self, member: str | None = None) -> Any:
        """Sum of every value (summed mappings only), as an unbounded `Int`: a plain int when
        concrete, the ghost z3 term when symbolic. `member` names the summed leaf of a struct mapping."""
        if self._leaves is not None:
            if member is None:
                raise ModelBug("sum() of a struct-valued mapping names the member (sum('stake'))")
            leaf = self._leaves.get(tuple(member.split(".")))
            if leaf is None:
                raise ModelBug(f"{self.value_type.__name__} has no member {member!r}")
            return leaf.sum()
        if not self.summed or isinstance(self.summed, SumBy):
            raise ModelBug("sum() of a mapping declared without summed=True")
        return Int(self._store.total())

    def sum_by(self, group: Any) -> Any:
        """The sum of the values whose key at the SumBy position is `group` (mappings declared with
        summed=SumBy(i) only), as an unbounded `Int`: a plain int when concrete, the ghost z3 term
        when symbolic."""
        if not isinstance(self.summed, SumBy) or self._prefix:
            raise ModelBug("sum_by() of a mapping declared without summed=SumBy(position)")
        key_type = self.key_types()[self.summed.position]
        return Int(self._store.group_total(self._key_of(key_type, group)))

    @staticmethod
    def _key_of(key_type: type, k: Any) -> Any:
        if not isinstance(k, key_type):
            if isinstance(k, int) and not isinstance(k, bool):
                k = key_type(k)
            else:
                raise ModelBug(f"key {k!r} is not a {key_type.__name__}")
        return k.v

    def items(self) -> list[tuple[tuple, Any]]:
        """Concrete entries (nonzero ones), as (key tuple, plain value). A struct-valued mapping has
        them per member: `leaf_mappings()`."""
        if self._leaves is not None:
            raise ModelBug("items() of a struct-valued mapping: read leaf_mappings()")
        return self._store.items()

    def leaf_mappings(self) -> dict[str, "Mapping"]:
        """The scalar mappings holding the values: {"": self} for scalar values, {".stake": ...,
        ".terms.fee": ...} (a suffix per struct leaf, Solidity member syntax) for struct values."""
        if self._prefix:
            raise ModelBug("leaf_mappings() of an inner mapping view")
        if self._leaves is None:
            return {"": self}
        return {"." + ".".join(path): m for path, m in self._leaves.items()}

    def copy(self) -> "Mapping":
        if self._prefix:
            raise ModelBug("copy of an inner mapping view")
        if self._leaves is not None:
            return Mapping(self.key_type, self.value_type, summed=self.summed,
                           _leaves={p: m.copy() for p, m in self._leaves.items()})
        return Mapping(self.key_type, self.value_type, summed=self.summed, _store=self._store.copy())

    # -- symbolic support --------------------------------------------------------------------
    def symbolize(self, name: str) -> "Mapping":
        """A fresh symbolic mapping of the same type (unknown contents, ghost sum unknown)."""
        if self._leaves is not None:
            return Mapping(self.key_type, self.value_type, summed=self.summed,
                           _leaves={p: m.symbolize(f"{name}.{'.'.join(p)}") for p, m in self._leaves.items()})
        m = Mapping(self.key_type, self.value_type, summed=self.summed)
        m._store = _Store(self.depth(), self.summed, zero=zero_of(self.leaf_type()).v, symbolic_name=name,
                          value_sort=_sort_of(self.leaf_type()))
        return m

    def to_symbolic(self, name: str) -> "Mapping":
        """The same contents as a symbolic array (Store chain over a constant zero array)."""
        if self._leaves is not None:
            return Mapping(self.key_type, self.value_type, summed=self.summed,
                           _leaves={p: m.to_symbolic(f"{name}.{'.'.join(p)}") for p, m in self._leaves.items()})
        m = Mapping(self.key_type, self.value_type, summed=self.summed)
        m._store = self._store.to_symbolic(name, _sort_of(self.leaf_type()))
        return m

    @property
    def store(self) -> "_Store":
        if self._leaves is not None:
            raise ModelBug("a struct-valued mapping has one store per member: leaf_mappings()")
        return self._store


def _summed_leaves(struct: type, summed: Any) -> set[str]:
    if summed is False or summed is None:
        return set()
    if summed is True or isinstance(summed, str):
        raise ModelBug("summed of a struct-valued mapping names the summed members: summed=('stake',)")
    names = set(summed)
    leaves = {".".join(p) for p, t in struct.leaves() if not issubclass(t, DynBytes)}
    if names - leaves:
        raise ModelBug(f"{struct.__name__} has no members {sorted(names - leaves)} to sum")
    return names


def _nested_mapping(key_types: tuple[type, ...], leaf: type, summed: bool) -> Mapping:
    vt: Any = leaf
    for kt in reversed(key_types[1:]):
        vt = Mapping(kt, vt)
    return Mapping(key_types[0], vt, summed=summed)


def _wrap(value_type: type, v: Any) -> Any:
    if value_type is Bool:
        return Bool(v)
    return value_type(v)


def flat_key(key: tuple) -> Any:
    """A mapping key tuple (k1, k2, ...) as one array index: k1 * 2**256 + k2 ..."""
    r: Any = 0
    for k in key:
        r = r * (1 << 256) + k
    return r


class _Store:
    """Backing store of a mapping: dict (concrete) or z3 array (symbolic)."""

    def __init__(self, depth: int, summed: "bool | SumBy", *, zero: Any = 0, symbolic_name: str | None = None,
                 value_sort: z3.SortRef | None = None):
        self.depth = depth
        self.summed = summed
        # SumBy(i): the ghost is one sum per value of the key at position i (a dict concretely, a z3
        # array from that key to the sum symbolically), `groups_read` the group keys sum_by read
        self.group = summed.position if isinstance(summed, SumBy) else None
        self.groups_read: list[Any] = []
        self.zero = zero
        self.name = symbolic_name
        self.touched: list[tuple] = []  # symbolic: every key read or written, in order
        if symbolic_name is None:
            self.data: dict[tuple, Any] = {}
            self.array = None
            self.ghost: Any = {} if self.group is not None else 0
        else:
            self.data = {}
            self.value_sort = value_sort
            self.array = z3.Array(symbolic_name, z3.IntSort(), value_sort)
            self.initial_array = self.array
            if self.group is not None:
                self.ghost = z3.Array(f"{symbolic_name}.sum_by", z3.IntSort(), z3.IntSort())
            else:
                self.ghost = z3.Int(f"{symbolic_name}.sum") if summed else None
            self.initial_ghost = self.ghost

    @property
    def symbolic(self) -> bool:
        return self.array is not None

    def get(self, key: tuple) -> Any:
        if not self.symbolic:
            if any(is_sym(k) for k in key):
                raise ModelBug("symbolic key into a concrete mapping")
            return self.data.get(key, self.zero)
        self.touched.append(key)
        return z3.Select(self.array, flat_key(key))

    def set(self, key: tuple, v: Any) -> None:
        if not self.symbolic:
            if any(is_sym(k) for k in key) or is_sym(v):
                raise ModelBug("symbolic write into a concrete mapping")
            old = self.data.get(key, 0)
            if v == self.zero:
                self.data.pop(key, None)
            else:
                self.data[key] = v
            if self.group is not None:
                g = key[self.group]
                total = self.ghost.get(g, 0) - old + v
                if total:
                    self.ghost[g] = total
                else:
                    self.ghost.pop(g, None)
            elif self.summed:
                self.ghost = self.ghost - old + v
            return
        self.touched.append(key)
        flat = flat_key(key)
        if self.group is not None:
            g = key[self.group]
            self.ghost = z3.Store(self.ghost, g, z3.Select(self.ghost, g) - z3.Select(self.array, flat) + v)
        elif self.summed:
            self.ghost = self.ghost - z3.Select(self.array, flat) + v
        self.array = z3.Store(self.array, flat, v)

    def total(self) -> Any:
        if self.group is not None:
            raise ModelBug("total() of a store with sums grouped by key: group_total(g)")
        return self.ghost

    def group_total(self, g: Any) -> Any:
        """The ghost sum of the values whose key at the grouping position is `g`."""
        if not self.symbolic:
            if is_sym(g):
                raise ModelBug("symbolic key into a concrete mapping")
            return self.ghost.get(g, 0)
        self.groups_read.append(g)
        return z3.Select(self.ghost, g)

    def items(self) -> list[tuple[tuple, Any]]:
        if self.symbolic:
            raise ModelBug("items() of a symbolic mapping")
        return sorted(self.data.items())

    def copy(self) -> "_Store":
        c = _Store.__new__(_Store)
        c.__dict__.update(self.__dict__)
        c.data = dict(self.data)
        c.touched = list(self.touched)
        # groups_read stays shared: the prover states facts about every group key any copy read
        if isinstance(self.ghost, dict):
            c.ghost = dict(self.ghost)
        return c

    def to_symbolic(self, name: str, value_sort: z3.SortRef) -> "_Store":
        s = _Store(self.depth, self.summed, zero=self.zero, symbolic_name=name, value_sort=value_sort)
        zero = z3.BoolVal(False) if value_sort == z3.BoolSort() else z3.IntVal(0)
        arr = z3.K(z3.IntSort(), zero)
        for key, v in sorted(self.data.items()):
            arr = z3.Store(arr, flat_key(key), v)
        s.array = s.initial_array = arr
        if self.group is not None:
            ghost = z3.K(z3.IntSort(), z3.IntVal(0))
            for g, total in sorted(self.ghost.items()):
                ghost = z3.Store(ghost, g, total)
            s.ghost = s.initial_ghost = ghost
        elif self.summed:
            s.ghost = s.initial_ghost = z3.IntVal(self.ghost)
        return s


# ---------------------------------------------------------------------------------------------
# Dynamic byte strings
# ---------------------------------------------------------------------------------------------


# The uninterpreted function standing for keccak256 of a symbolic bytes or string value, applied to the
# value's content id and length; `concrete_bytes` gives the bytes a content id and length stand for
# when a counterexample is made concrete (invariants/prover.py replaces the function's values by the
# real hashes of those bytes). Registered in KECCAK_FUNCTIONS with this signature.
BYTES_CONTENT = ("<bytes content>",)
KECCAK_BYTES = z3.Function("keccak256_bytes", z3.IntSort(), z3.IntSort(), z3.IntSort())
KECCAK_FUNCTIONS[KECCAK_BYTES] = BYTES_CONTENT
# `abi.decode(b, (uint256))` of a symbolic 32-byte value, applied to its content id
ABI_WORD = z3.Function("abi_decode_uint256", z3.IntSort(), z3.IntSort())
MAX_SYMBOLIC_BYTES = (1 << 32) - 1  # the longest symbolic bytes value: calldata is bounded by gas long before


def concrete_bytes(content: int, length: int) -> bytes:
    """The bytes a symbolic value of this content id and length is made concrete as: printable ASCII
    (lowercase letters), a different string for each content id below 26**length."""
    out = bytearray()
    c = content
    for _ in range(length):
        out.append(0x61 + c % 26)
        c //= 26
    return bytes(out)


# A string or bytes member of a struct held in a mapping or array is two scalar leaves: its content id
# and its length in bytes.
BYTES_CONTENT_LEAF = "#content"
BYTES_LENGTH_LEAF = "#length"

# Content ids of concrete values that `concrete_bytes` does not produce, id -> bytes (see `bytes_id`).
_INTERNED_BYTES: dict[int, bytes] = {}


def _letters_id(data: bytes) -> "int | None":
    """The id `concrete_bytes` makes `data` from, when there is one below 2**256."""
    if len(data) > 54 or any(not 0x61 <= b <= 0x7A for b in data):  # 26**54 < 2**256 < 26**55
        return None
    c = 0
    for b in reversed(data):
        c = c * 26 + (b - 0x61)
    return c


def bytes_id(data: bytes) -> int:
    """The content id of concrete bytes, below 2**256 and one per value of a given length: the id
    `concrete_bytes` makes the value from, for short lowercase text (so a counterexample's strings
    keep their ids), otherwise keccak256 of the bytes, remembered so `bytes_of` can give them back."""
    c = _letters_id(data)
    if c is not None:
        return c
    c = int.from_bytes(keccak(data), "big")
    _INTERNED_BYTES[c] = bytes(data)
    return c


def bytes_of(content: int, length: int) -> bytes:
    """The bytes a content id and length stand for: a value `bytes_id` gave that id, or else the
    letters `concrete_bytes` makes (a counterexample's id, chosen by the solver)."""
    data = _INTERNED_BYTES.get(content)
    if data is not None and len(data) == length:
        return data
    return concrete_bytes(content, length)


def bytes_parts(v: "DynBytes") -> tuple[Any, Any]:
    """(content id, length) of a string or bytes value: terms when symbolic, ints when concrete."""
    if v.is_symbolic:
        return v.content, v._length
    return bytes_id(v.v), len(v.v)  # type: ignore[arg-type]


def bytes_value(t: type, content: Any, length: Any) -> "DynBytes":
    """The value of type `t` (String or DynBytes) with this content id and length."""
    if is_sym(content) or is_sym(length):
        b = t.__new__(t)
        b.v = None
        b.content = content if is_sym(content) else z3.IntVal(content)
        b._length = length if is_sym(length) else z3.IntVal(length)
        return b
    return t(bytes_of(content, length))


class DynBytes:
    """A Solidity `bytes` value (storage or memory). `String` is `string`, the same bytes read as UTF-8.

    Concrete: the Python bytes it holds (`v`). Symbolic (`DynBytes.symbolic`, a transition's parameter
    in the prover): an unknown content (an Int id) of unknown length; what a model may do with it is
    read its length, hash it (`keccak()`: the uninterpreted KECCAK_BYTES of content and length) and
    pass it on (events, errors). Anything else (comparing, concatenating, indexing a symbolic value)
    raises Unsupported. In storage (a state variable, or a struct member in a mapping or array) it is
    symbolic the same way: a content id and a length."""

    __slots__ = ("v", "content", "_length")
    SOLIDITY: ClassVar[str] = "bytes"

    def __init__(self, v: "bytes | str | DynBytes" = b""):
        if isinstance(v, DynBytes):
            if v.is_symbolic:
                raise ModelBug(f"{type(self).__name__}() of a symbolic value: pass the value itself")
            v = v.v
        if isinstance(v, str):
            v = v.encode("utf-8")
        if not isinstance(v, (bytes, bytearray)):
            raise ModelBug(f"{type(self).__name__}({v!r}): not bytes")
        self.v: bytes | None = bytes(v)
        self.content: Any = None
        self._length: Any = None

    @classmethod
    def symbolic(cls, name: str) -> "DynBytes":
        b = cls.__new__(cls)
        b.v = None
        b.content = z3.Int(f"{name}.content")
        b._length = z3.Int(f"{name}.length")
        return b

    @property
    def is_symbolic(self) -> bool:
        return self.v is None

    def range_constraints(self) -> list[z3.BoolRef]:
        if not self.is_symbolic:
            return []
        h = KECCAK_BYTES(self.content, self._length)
        return [self.content >= 0, self._length >= 0, self._length <= MAX_SYMBOLIC_BYTES, h >= 0, h < (1 << 256)]

    def _concrete(self, what: str) -> bytes:
        if self.is_symbolic:
            raise Unsupported(f"{what} of a symbolic {self.SOLIDITY} value (only its length and hash are encoded)")
        return self.v  # type: ignore[return-value]

    def length(self) -> "U256":
        """`bytes(s).length` (bytes, not characters)."""
        return U256(self._length) if self.is_symbolic else U256(len(self.v))  # type: ignore[arg-type]

    def keccak(self) -> "Bytes32":
        """`keccak256(bytes(s))`."""
        if self.is_symbolic:
            h = KECCAK_BYTES(self.content, self._length)
            if _ORACLES:  # a value read from storage has no range facts of its own: the hash's, here
                define(z3.And(h >= 0, h < (1 << 256)))
            return Bytes32(h)
        return Bytes32(keccak(self.v))

    def same(self, other: "DynBytes") -> "Bool":
        """`keccak256(a) == keccak256(b)`, the way Solidity compares bytes: the same bytes. Symbolically,
        the same content id and length (which implies the same bytes)."""
        if type(other) is not type(self):
            raise ModelBug(f"comparing {type(self).__name__} with {other!r}")
        if self.is_symbolic or other.is_symbolic:
            (c1, l1), (c2, l2) = bytes_parts(self), bytes_parts(other)
            return Bool(z3.And(c1 == c2, l1 == l2))
        return Bool(self.v == other.v)

    def decode_uint256(self) -> "U256":
        """`abi.decode(b, (uint256))` of a value whose length the caller checked is 32: the word it
        holds. Symbolically, the uninterpreted ABI_WORD of the content id (one word per content),
        within uint256's range."""
        if self.is_symbolic:
            w = ABI_WORD(self.content)
            define(z3.And(w >= 0, w < (1 << 256)))
            return U256(w)
        if len(self.v) != 32:  # type: ignore[arg-type]
            raise ModelBug(f"decode_uint256 of {len(self.v)} bytes: check the length first")  # type: ignore[arg-type]
        return U256(int.from_bytes(self.v, "big"))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._concrete("len()"))

    def __add__(self, other: "DynBytes") -> "DynBytes":
        """`bytes.concat` / `string.concat`."""
        if type(other) is not type(self):
            raise ModelBug(f"concatenating {type(self).__name__} and {type(other).__name__}")
        return type(self)(self._concrete("concatenation") + other._concrete("concatenation"))

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        if type(other) is not type(self):
            raise ModelBug(f"comparing {type(self).__name__} with {other!r}")
        return self._concrete("comparison") == other._concrete("comparison")  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._concrete("hash()"))

    def copy(self) -> "DynBytes":
        return self

    def __repr__(self) -> str:
        if self.is_symbolic:
            return f"{type(self).__name__}(<symbolic {self.content}, length {self._length}>)"
        return f"{type(self).__name__}({self.v!r})"


class String(DynBytes):
    SOLIDITY = "string"

    def __str__(self) -> str:
        if self.is_symbolic:
            return repr(self)
        return self.v.decode("utf-8", errors="replace")  # type: ignore[union-attr]

    def __repr__(self) -> str:
        if self.is_symbolic:
            return super().__repr__()
        return f"String({str(self)!r})"


# ---------------------------------------------------------------------------------------------
# Storage arrays
# ---------------------------------------------------------------------------------------------


class Array:
    """A storage array of kernel scalars or structs: `T[N]` (`Array(T, 3)`) or `T[]` (`Array(T)`).

    The elements are a `Mapping(U256, T)` (`data`: dict concretely, one z3 array per struct leaf
    symbolically) and the length is an int or a z3 term (a constant N for a fixed array). Indexing at
    or past the length is `Revert(Panic(0x32))`, `pop()` of an empty array `Revert(Panic(0x31))`;
    `pop()` zeroes the removed element, as Solidity does, so data past the length is always zero
    in a concrete state. `a[i]` of a struct array is a `StructRef` (storage reference)."""

    MAX_LENGTH: ClassVar[int] = 1 << 64  # Solidity refuses to grow a storage array past 2**64

    def __init__(self, elem_type: type, length: int | None = None, *, _data: "Mapping | None" = None,
                 _length: Any = None):
        if not (is_scalar_type(elem_type) or (isinstance(elem_type, type) and issubclass(elem_type, Struct))):
            raise Unsupported(f"array element type {getattr(elem_type, '__name__', elem_type)}",
                              "storage arrays hold kernel scalars and structs")
        self.elem_type = elem_type
        self.fixed = length
        self.data = _data if _data is not None else Mapping(U256, elem_type)
        self._length: Any = _length if _length is not None else (length if length is not None else 0)

    @property
    def dynamic(self) -> bool:
        return self.fixed is None

    def length(self) -> U256:
        return U256(self._length)

    def __len__(self) -> int:
        return int(concrete(self.length()))

    def _index(self, i: Any) -> U256:
        if isinstance(i, int) and not isinstance(i, bool):
            i = U256(i)
        if not isinstance(i, U256):
            raise ModelBug(f"array index {i!r} is not a uint256")
        if truth(i >= self.length()):
            raise Revert(Panic(Panic.ARRAY_INDEX))
        return i

    def __getitem__(self, i: Any) -> Any:
        return self.data[self._index(i)]

    def __setitem__(self, i: Any, value: Any) -> None:
        self.data[self._index(i)] = value

    def push(self, value: Any = None) -> Any:
        """`a.push(v)`, or `a.push()` (a zero element, returned as a reference)."""
        if not self.dynamic:
            raise ModelBug("push on a fixed-size array")
        at = U256(self._length)
        if value is not None:
            self.data[at] = value
        self._length = self._length + 1
        return self.data[at]

    def pop(self) -> None:
        if not self.dynamic:
            raise ModelBug("pop on a fixed-size array")
        if truth(self.length() == 0):
            raise Revert(Panic(Panic.EMPTY_ARRAY_POP))
        self._length = self._length - 1
        del self.data[U256(self._length)]

    def values(self) -> list[Any]:
        """The elements, concretely (a memory copy of each struct)."""
        out = []
        for i in range(len(self)):
            v = self.data[U256(i)]
            out.append(v.load() if isinstance(v, StructRef) else v)
        return out

    def copy(self) -> "Array":
        return Array(self.elem_type, self.fixed, _data=self.data.copy(), _length=self._length)

    def symbolize(self, name: str) -> "Array":
        """Unknown contents; a dynamic array's length is a fresh term (see `range_constraints`)."""
        length = self.fixed if self.fixed is not None else z3.Int(f"{name}.length")
        return Array(self.elem_type, self.fixed, _data=self.data.symbolize(name), _length=length)

    def to_symbolic(self, name: str) -> "Array":
        return Array(self.elem_type, self.fixed, _data=self.data.to_symbolic(name), _length=self._length)

    def range_constraints(self) -> list[z3.BoolRef]:
        return [self._length >= 0, self._length < self.MAX_LENGTH] if is_sym(self._length) else []

    def __repr__(self) -> str:
        kind = f"[{self.fixed}]" if self.fixed is not None else "[]"
        return f"Array({self.elem_type.__name__}{kind}, length {self._length})"


# ---------------------------------------------------------------------------------------------
# Events, call context, contracts, world
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Base of every event. Subclasses are frozen dataclasses whose fields are the event's ABI
    parameters in declaration order; the class name is the ABI name."""

    @classmethod
    def abi_name(cls) -> str:
        return cls.__name__

    def args(self) -> tuple:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def concrete_args(self) -> tuple:
        return tuple(concrete(a) for a in self.args())


@dataclass(frozen=True)
class EventRecord:
    address: int
    event: Event


@dataclass(frozen=True)
class Msg:
    """`msg` of one call frame."""

    sender: Address
    value: U256 = field(default_factory=lambda: U256(0))


# block.chainid of the models' chain, and of the workbench's EVM engines (harness/evm/engine.py)
CHAIN_ID = 1


@dataclass
class Block:
    number: Any = 1
    timestamp: Any = 1


class Contract:
    """Base of every model. Subclasses are dataclasses: storage fields first, in Solidity
    declaration order, then immutables (marked with `immutable()`)."""

    world: "World"
    address: Address

    def attach(self, world: "World", address: Address) -> None:
        object.__setattr__(self, "world", world)
        object.__setattr__(self, "address", address)

    def emit(self, event: Event) -> None:
        self.world.logs.append(EventRecord(self.address.v, event))

    def this_msg(self) -> Msg:
        """`msg` of a call this contract makes to another."""
        return Msg(sender=self.address)

    def storage_fields(self) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(self) if not f.metadata.get("immutable")]

    def clone(self) -> "Contract":
        c = dataclasses.replace(self, **{
            f.name: getattr(self, f.name).copy()
            for f in dataclasses.fields(self) if isinstance(getattr(self, f.name), (Mapping, Struct, Array))
        })
        return c


def immutable(**kw: Any) -> Any:
    return field(metadata={"immutable": True}, **kw)


def storage(default_factory: Callable[[], Any]) -> Any:
    return field(default_factory=default_factory)


class World:
    """All deployed models by address, the logs of the current transaction, the block."""

    def __init__(self) -> None:
        self.contracts: dict[int, Contract] = {}
        self.logs: list[EventRecord] = []
        self.block = Block()
        # ETH (wei) of every account: a dict from address to int in a concrete world (absent = 0); a
        # `Mapping(Address, U256)` in a symbolic one (invariants/prover.py symbolic_system), so that
        # balances, msg.value and transfers are terms like any other storage.
        self.balances: "dict[int, int] | Mapping" = {}
        # Set by the prover in a symbolic world: called with the world when ETH goes to an account
        # outside the system, whose code (unknown) runs there and may call back into the system.
        # None in a concrete world, where an account without a model is an EOA.
        self.on_external_call: Callable[["World", Any], None] | None = None
        # the prover's environment: the contracts an address chosen by an argument or by storage may be
        # (addresses; empty: such a call has no encoding, Unsupported)
        self.callee_candidates: tuple[int, ...] = ()

    # -- ETH ---------------------------------------------------------------------------------
    def _wei(self, a: Any) -> Any:
        """The balance of address `a` (an int or a term) as an int or a term."""
        if isinstance(self.balances, Mapping):
            return self.balances[Address(a)].v
        if is_sym(a):
            raise ModelBug("symbolic address into the concrete ETH balances")
        return self.balances.get(a, 0)

    def _set_wei(self, a: Any, wei: Any) -> None:
        if isinstance(self.balances, Mapping):
            self.balances[Address(a)] = U256(wei)
        else:
            self.balances[a] = wei

    def balance(self, a: Any) -> U256:
        """`address(a).balance`."""
        return U256(self._wei(_address_int(a, "balance of")))

    def set_balance(self, a: Any, wei: int) -> None:
        self._set_wei(_address_int(a, "balance of"), U256(wei).v)

    def _move(self, frm: Any, to: Any, amount: Any) -> None:
        """Move `amount` wei from `frm` to `to`; not enough balance reverts without data."""
        f, t = _address_int(frm, "ETH transfer from"), _address_int(to, "ETH transfer to")
        v = term(amount)
        if not is_sym(v) and v == 0:
            return
        have = self._wei(f)
        if truth(have < v):
            raise Revert(EmptyRevert())
        self._set_wei(f, have - v)
        self._set_wei(t, self._wei(t) + v)  # read after the write: `to` may be `frm`

    def _receiver(self, t: Any) -> "Contract | None":
        """The model at address `t`, None for an account outside the system. A symbolic `t` is
        compared with every model's address (one path each; the prover prunes those its assumptions
        exclude)."""
        if not is_sym(t):
            return self.contracts.get(t)
        for a, c in self.contracts.items():
            if truth(t == a):
                return c
        return None

    def send_value(self, frm: Any, to: Any, amount: Any) -> bool:
        """`to.call{value: amount}("")` from contract `frm`: True on success; on failure (not enough
        balance, a contract without `receive`, a reverting `receive`) False, with every change the
        call made undone. The receiver's `receive(msg)` runs with all the world, so it may reenter.

        An account outside the system: in a concrete world an EOA (it accepts). In a symbolic world
        its code is unknown: it may refuse (both outcomes are explored) and, when it accepts, it runs
        in the state of that moment and may call back into the system, which `on_external_call` is
        told of."""
        snap, n_logs = self.clone(), len(self.logs)
        try:
            self._move(frm, to, amount)
            t = _address_int(to, "ETH transfer to")
            target = self._receiver(t)
            if target is not None:
                receive = getattr(target, "receive", None)
                if receive is None:
                    raise Revert(EmptyRevert())
                receive(Msg(Address(_address_int(frm, "call from")), U256(term(amount))))
            elif self.on_external_call is not None:
                if not truth(fresh("eth.receiver.accepts", z3.BoolSort())):
                    raise Revert(EmptyRevert())
                self.on_external_call(self, frm)
            return True
        except Revert:
            self._undo(snap, n_logs)
            return False

    def try_call(self, frm: Any, to: Any, fn: str, *args: Any, value: Any = 0) -> tuple[bool, Any]:
        """`try Contract(to).fn{value: v}(args) returns (r) { ... } catch { ... }` from contract `frm`:
        (True, returned) on success; (False, the revert's error) when the callee reverts, with every
        change the call made undone (its frame's, as the EVM does), the caller going on."""
        snap, n_logs = self.clone(), len(self.logs)
        try:
            return True, self.call(frm, to, fn, *args, value=value)
        except Revert as r:
            self._undo(snap, n_logs)
            return False, r.error

    def _undo(self, snap: "World", n_logs: int) -> None:
        """Back to `snap` (a clone taken before a call frame), keeping the contract objects: storage,
        balances and the logs emitted since."""
        self.balances = snap.balances
        for a, c in self.contracts.items():
            if a in snap.contracts:
                for f in dataclasses.fields(c):
                    object.__setattr__(c, f.name, getattr(snap.contracts[a], f.name))
        del self.logs[n_logs:]

    def call(self, frm: Any, to: Any, fn: str, *args: Any, value: Any = 0) -> Any:
        """A high-level call `Contract(to).fn{value: v}(args)` from contract `frm`: the value moves
        first (a non-payable function reverts), a revert of the callee propagates."""
        callee = getattr(self.at(Address(to) if not isinstance(to, Address) else to), fn)
        if not getattr(callee, "is_payable", False) and truth(term(value) != 0):
            raise Revert(EmptyRevert())
        self._move(frm, to, value)
        return callee(Msg(Address(_address_int(frm, "call from")), U256(term(value))), *args)

    def deploy(self, address: int, contract: Contract) -> Contract:
        if address in self.contracts:
            raise ModelBug(f"address {address:#x} already has a contract")
        contract.attach(self, Address(address))
        self.contracts[address] = contract
        return contract

    def at(self, address: Address) -> Contract:
        a = address.v if isinstance(address, Address) else address
        if is_sym(a):  # an external contract chosen by an argument or by storage
            if not self.callee_candidates:  # no assumption on what it is: no encoding
                raise Unsupported("call to a symbolic address (a callee chosen by an argument or by storage)")
            # the prover's environment assumes it is one of these contracts: that assumption joins the
            # path condition, and each candidate is a path of its own
            assume(z3.Or(*[a == c for c in self.callee_candidates]))
            for c in self.callee_candidates[:-1]:
                if truth(a == c):
                    return self.contracts[c]
            return self.contracts[self.callee_candidates[-1]]
        if a not in self.contracts:
            raise ModelBug(f"no model deployed at {a:#x}")
        return self.contracts[a]

    def clone(self) -> "World":
        w = World()
        w.block = Block(self.block.number, self.block.timestamp)
        w.balances = self.balances.copy()
        w.on_external_call = self.on_external_call
        w.callee_candidates = self.callee_candidates
        for a, c in self.contracts.items():
            c2 = c.clone()
            c2.attach(w, Address(a))
            w.contracts[a] = c2
        return w

    def transact(self, to: int, fn: str, msg: Msg, *args: Any) -> "Outcome":
        """Run one external call with transaction semantics: on revert no state change survives.
        Returns the outcome; `self` is updated in place on success."""
        trial = self.clone()
        value = term(msg.value)
        if is_sym(value):
            raise Unsupported("transaction with a symbolic msg.value", fn)
        try:
            target = getattr(trial.at(Address(to)), fn)
            if value != 0:
                if not getattr(target, "is_payable", False):
                    raise Revert(EmptyRevert())
                if trial._wei(_address_int(msg.sender, "sender")) < value:
                    raise ModelBug(f"sender {term(msg.sender):#x} cannot send {value} wei (a transaction, not a revert)")
                trial._move(msg.sender, to, value)
            returned = target(msg, *args)
        except Revert as r:
            return Outcome(ok=False, returned=None, error=r.error, events=())
        self.balances = trial.balances
        self.contracts = trial.contracts
        for c in self.contracts.values():
            c.attach(self, c.address)
        events = tuple(trial.logs)
        self.logs = []
        return Outcome(ok=True, returned=returned, error=None, events=events)

    def view(self, to: int, fn: str, *args: Any, sender: int = 0, clone: bool = True) -> "Outcome":
        """Call a view function. `clone=False` skips the defensive copy (views never write)."""
        trial = self.clone() if clone else self
        try:
            returned = getattr(trial.at(Address(to)), fn)(Msg(Address(sender)), *args)
        except Revert as r:
            return Outcome(ok=False, returned=None, error=r.error, events=())
        return Outcome(ok=True, returned=returned, error=None, events=())


@dataclass(frozen=True)
class Outcome:
    """How a model call ended: returned value or the revert's error, and the events emitted."""

    ok: bool
    returned: Any
    error: SolidityError | None
    events: tuple[EventRecord, ...]


def view(fn: Callable) -> Callable:
    """Mark a model function as a Solidity `view` (no state change; the prover skips it as a
    transition, the fuzzer calls it with a static call)."""
    fn.is_view = True  # type: ignore[attr-defined]
    return fn


def payable(fn: Callable) -> Callable:
    """Mark a model function as an external `payable` one (it accepts msg.value; any other function
    sent value reverts without data)."""
    fn.is_external = True  # type: ignore[attr-defined]
    fn.is_payable = True  # type: ignore[attr-defined]
    return fn


def _address_int(a: Any, what: str) -> Any:
    v = a.v if isinstance(a, Address) else a
    if isinstance(v, Contract):
        v = v.address.v
    if not is_sym(v) and not (isinstance(v, int) and 0 <= v < Address.MOD):
        raise ModelBug(f"{what}: {a!r} is not an address")
    return v


def external(fn: Callable) -> Callable:
    """Mark a model function as an external state-changing function (a transition)."""
    fn.is_external = True  # type: ignore[attr-defined]
    return fn
