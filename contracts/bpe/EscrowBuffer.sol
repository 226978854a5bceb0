// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IEscrowBuffer} from "./interfaces/IEscrowBuffer.sol";
import {IGDAv1Forwarder, ISuperfluidPool, ISuperfluidToken} from "./interfaces/ISuperfluidGDA.sol";

/// @notice What the buffer reads from the BackpressurePool.
interface IBackpressurePoolMembers {
    function getPool(bytes32 taskTypeId) external view returns (address);
    function memberCount(bytes32 taskTypeId) external view returns (uint256);
    function memberAt(bytes32 taskTypeId, uint256 index) external view returns (address);
}

/// @title EscrowBuffer: lump payments per task type wait here, first in first out, and are released to
///        the task type's GDA pool no faster than the sinks' priced capacity (PROTOCOL.md section 8).
/// @notice
///  - `deposit` always queues (all or nothing against bufferMax); `drain` (anyone) releases
///    perUnit = min(A / U, unitPrice * elapsed) per pool unit, A the sum of the first MAX_DRAIN_ENTRIES
///    entries, U the pool's total units, through the GDA's instant distribute.
///  - bufferLevel is the sum of the queued remainders; it never exceeds bufferMax except after
///    governance lowered bufferMax, and then it only falls.
/// Model: specs/escrow_buffer.py.
contract EscrowBuffer is IEscrowBuffer {
    uint256 public constant MAX_DRAIN_ENTRIES = 32;

    mapping(bytes32 => uint256) internal levels;
    mapping(bytes32 => uint256) internal maxima;
    mapping(bytes32 => uint256) public unitPrice;
    mapping(bytes32 => uint256) public lastDrain;
    mapping(bytes32 => uint256) public queueHead;
    mapping(bytes32 => uint256) public queueTail;
    mapping(bytes32 => mapping(uint256 => address)) internal entrySource;
    mapping(bytes32 => mapping(uint256 => uint256)) internal entryAmount;

    IBackpressurePoolMembers public immutable backpressurePool;
    IGDAv1Forwarder public immutable gdaForwarder;
    ISuperfluidToken public immutable token;
    address public immutable governance;

    event BufferMaxSet(bytes32 indexed taskTypeId, uint256 bufferMax);
    event UnitPriceSet(bytes32 indexed taskTypeId, uint256 unitPrice);

    error ZeroAddress();
    error NotGovernance(address caller);
    error ZeroAmount();
    error NoPool(bytes32 taskTypeId);
    error BufferOverflow(uint256 level, uint256 amount, uint256 max);
    error NothingToDrain(bytes32 taskTypeId);
    error TransferFailed();

    constructor(IBackpressurePoolMembers pool_, IGDAv1Forwarder gdaForwarder_, ISuperfluidToken token_, address governance_) {
        if (
            address(pool_) == address(0) || address(gdaForwarder_) == address(0) || address(token_) == address(0)
                || governance_ == address(0)
        ) revert ZeroAddress();
        backpressurePool = pool_;
        gdaForwarder = gdaForwarder_;
        token = token_;
        governance = governance_;
    }

    /// @notice Set the bound on the buffer of a task type. Only governance. May be below the level.
    function setBufferMax(bytes32 taskTypeId, uint256 max) external {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        maxima[taskTypeId] = max;
        emit BufferMaxSet(taskTypeId, max);
    }

    /// @notice Set the price of capacity: wei per second per pool unit. Only governance.
    function setUnitPrice(bytes32 taskTypeId, uint256 price) external {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        unitPrice[taskTypeId] = price;
        emit UnitPriceSet(taskTypeId, price);
    }

    /// @notice Queue `amount` of the caller's tokens for `taskTypeId` (approve first). All or nothing.
    function deposit(bytes32 taskTypeId, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (backpressurePool.getPool(taskTypeId) == address(0)) revert NoPool(taskTypeId);
        uint256 level = levels[taskTypeId];
        uint256 max = maxima[taskTypeId];
        if (amount > max || level > max - amount) revert BufferOverflow(level, amount, max);
        if (level == 0) lastDrain[taskTypeId] = block.timestamp;
        uint256 tail = queueTail[taskTypeId];
        entrySource[taskTypeId][tail] = msg.sender;
        entryAmount[taskTypeId][tail] = amount;
        queueTail[taskTypeId] = tail + 1;
        level += amount;
        levels[taskTypeId] = level;
        if (!IERC20(address(token)).transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        emit Deposited(taskTypeId, msg.sender, amount);
        if (level == max) emit BufferFull(taskTypeId, level);
    }

    /// @notice Release what the pool's capacity absorbed since the last drain, oldest deposits first.
    function drain(bytes32 taskTypeId) external {
        (address poolAddress, uint256 perUnit, uint256 amount) = _drainable(taskTypeId);
        if (amount == 0) revert NothingToDrain(taskTypeId);

        // Consume `amount` from the head of the queue.
        uint256 head = queueHead[taskTypeId];
        uint256 left = amount;
        while (left != 0) {
            uint256 entry = entryAmount[taskTypeId][head];
            if (entry <= left) {
                left -= entry;
                delete entryAmount[taskTypeId][head];
                delete entrySource[taskTypeId][head];
                ++head;
            } else {
                entryAmount[taskTypeId][head] = entry - left;
                left = 0;
            }
        }
        queueHead[taskTypeId] = head;
        levels[taskTypeId] -= amount;
        lastDrain[taskTypeId] = block.timestamp;

        gdaForwarder.distribute(token, address(this), ISuperfluidPool(poolAddress), amount, "");
        uint256 count = backpressurePool.memberCount(taskTypeId);
        for (uint256 i = 0; i < count; ++i) {
            address sink = backpressurePool.memberAt(taskTypeId, i);
            uint256 units = ISuperfluidPool(poolAddress).getUnits(sink);
            if (units != 0) emit Drained(taskTypeId, sink, units * perUnit);
        }
    }

    function bufferLevel(bytes32 taskTypeId) external view returns (uint256) {
        return levels[taskTypeId];
    }

    function bufferMax(bytes32 taskTypeId) external view returns (uint256) {
        return maxima[taskTypeId];
    }

    /// @notice The amount `drain` would move now (0 when it would revert NothingToDrain).
    function drainable(bytes32 taskTypeId) external view returns (uint256 amount) {
        (,, amount) = _drainable(taskTypeId);
    }

    /// @notice The queue entry at `index`: who deposited it and what is left of it.
    function entryAt(bytes32 taskTypeId, uint256 index) external view returns (address source, uint256 amount) {
        return (entrySource[taskTypeId][index], entryAmount[taskTypeId][index]);
    }

    function _drainable(bytes32 taskTypeId) internal view returns (address poolAddress, uint256 perUnit, uint256 amount) {
        poolAddress = backpressurePool.getPool(taskTypeId);
        if (poolAddress == address(0)) return (poolAddress, 0, 0);
        uint256 totalUnits = ISuperfluidPool(poolAddress).getTotalUnits();
        if (totalUnits == 0) return (poolAddress, 0, 0);
        uint256 available = 0;
        uint256 head = queueHead[taskTypeId];
        uint256 end = queueTail[taskTypeId];
        if (end - head > MAX_DRAIN_ENTRIES) end = head + MAX_DRAIN_ENTRIES;
        for (uint256 i = head; i < end; ++i) {
            available += entryAmount[taskTypeId][i];
        }
        // Saturating: a price so high that price * elapsed overflows means "no time bound".
        uint256 elapsed = block.timestamp - lastDrain[taskTypeId];
        uint256 price = unitPrice[taskTypeId];
        uint256 allowance = elapsed != 0 && price > type(uint256).max / elapsed ? type(uint256).max : price * elapsed;
        perUnit = available / totalUnits;
        if (allowance < perUnit) perUnit = allowance;
        amount = perUnit * totalUnits;
    }
}
