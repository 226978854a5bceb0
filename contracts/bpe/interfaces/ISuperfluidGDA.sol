// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The parts of the Superfluid 1.15.2 GDA the suite calls.
/// @notice GDAv1Forwarder has no interface file in the npm package (its implementation imports
///         solidity-semantic-money, which npm does not have), so the two functions the suite calls are
///         declared here with the forwarder's ABI. The pool is the package's own ISuperfluidPool.
import {ISuperfluidPool} from
    "@superfluid-finance/ethereum-contracts/contracts/interfaces/agreements/gdav1/ISuperfluidPool.sol";
import {PoolConfig} from
    "@superfluid-finance/ethereum-contracts/contracts/interfaces/agreements/gdav1/IGeneralDistributionAgreementV1.sol";
import {ISuperfluidToken} from
    "@superfluid-finance/ethereum-contracts/contracts/interfaces/superfluid/ISuperfluidToken.sol";

interface IGDAv1Forwarder {
    function createPool(ISuperfluidToken token, address admin, PoolConfig memory config)
        external
        returns (bool success, ISuperfluidPool pool);

    function distribute(
        ISuperfluidToken token,
        address from,
        ISuperfluidPool pool,
        uint256 requestedAmount,
        bytes memory userData
    ) external returns (bool);
}
