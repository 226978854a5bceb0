// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ComputeStaking} from "contracts/compute/ComputeStaking.sol";
import {ComputeRegistry} from "contracts/compute/ComputeRegistry.sol";
import {ComputeRental} from "contracts/compute/ComputeRental.sol";
import {InferenceServing} from "contracts/compute/InferenceServing.sol";
import {LedgerManager} from "contracts/compute/LedgerManager.sol";
import {TriggerRegistry} from "contracts/compute/TriggerRegistry.sol";
import {ComputeTestToken} from "contracts/compute/test/ComputeTestToken.sol";

/// The cheatcodes this script uses (forge serves them at the HEVM address; there is no forge-std in this
/// repository, see forge/src/WorkbenchTest.sol).
interface VmScript {
    enum CallerMode {
        None,
        Broadcast,
        RecurrentBroadcast,
        Prank,
        RecurrentPrank
    }

    function startBroadcast() external;
    function stopBroadcast() external;
    function readCallers() external returns (CallerMode callerMode, address msgSender, address txOrigin);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory value);
    function parseAddress(string calldata stringifiedValue) external pure returns (address parsedValue);
}

/// Deploys the compute suite's proved deployments (specs/compute/suite.py, `PROVED_DEPLOYMENTS`, declared
/// in specs/compute/system.py) the way `python -m sdk.cli deploy-suite --suite compute` does
/// (sdk/deploy_suite.py): the same contracts, in the same order, with the same constructor arguments.
///
///     forge script forge/script/DeployCompute.s.sol --rpc-url http://127.0.0.1:8545 --broadcast \
///         --private-key 0x...
///
/// The suite's roles are fixed addresses in the declaration, without keys on a real node; here, as in
/// the SDK, each is an account given in the environment, by default the broadcasting deployer:
///   COMPUTE_OWNER     owner of ComputeStaking, ComputeRegistry and TriggerRegistry
///   COMPUTE_TREASURY  ComputeStaking's treasury (receives swept slashes)
/// The identity registry is unset (address 0) as the declaration has it, so linkAgent reverts
/// IdentityRegistryUnset. tests/forge/test_deploy_script.py checks all of this against the declaration.
contract DeployCompute {
    VmScript internal constant vm = VmScript(address(uint160(uint256(keccak256("hevm cheat code")))));
    /// forge prints the calls made to this address as console.log lines
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    /// specs/compute/system.py: IDENTITY_REGISTRY (unset, R-3.7)
    address internal constant IDENTITY_REGISTRY = address(0);

    function run()
        external
        returns (
            ComputeStaking staking,
            ComputeRegistry registry,
            ComputeRental rental,
            InferenceServing inference,
            LedgerManager ledger,
            TriggerRegistry triggers,
            ComputeTestToken token
        )
    {
        vm.startBroadcast();
        // the account the transactions are sent from (--private-key, --account, --sender ...)
        (, address deployer,) = vm.readCallers();
        address owner = _role("COMPUTE_OWNER", deployer);
        address treasury = _role("COMPUTE_TREASURY", deployer);

        // the order and the arguments of specs/compute/system.py: DEPLOYMENTS
        staking = new ComputeStaking(owner, treasury);
        registry = new ComputeRegistry(owner, staking, IDENTITY_REGISTRY);
        rental = new ComputeRental(registry, staking);
        inference = new InferenceServing(registry);
        ledger = new LedgerManager();
        triggers = new TriggerRegistry(owner);
        token = new ComputeTestToken();
        vm.stopBroadcast();

        _log("deployer", deployer);
        _log("role owner", owner);
        _log("role treasury", treasury);
        _log("ComputeStaking", address(staking));
        _log("ComputeRegistry", address(registry));
        _log("ComputeRental", address(rental));
        _log("InferenceServing", address(inference));
        _log("LedgerManager", address(ledger));
        _log("TriggerRegistry", address(triggers));
        _log("ComputeTestToken", address(token));
    }

    /// The account given for a role in environment variable `name`, or `deployer` when it is unset or
    /// empty. Anything else that is not a nonzero address stops the script before it deploys anything
    /// (forge's envOr(name, address) would silently take the default for a value it cannot parse).
    function _role(string memory name, address deployer) internal view returns (address account) {
        string memory value = vm.envOr(name, string(""));
        if (bytes(value).length == 0) return deployer;
        try vm.parseAddress(value) returns (address parsed) {
            account = parsed;
        } catch {
            revert(string.concat(name, "=", value, " is not an address (0x and 40 hex digits)"));
        }
        require(account != address(0), string.concat(name, " is the zero address: give an account, or leave it unset for the deployer"));
    }

    /// console.log(string, address), without forge-std's console library: a static call to the console
    /// address, which has no code (a call through an interface would revert on the missing code).
    function _log(string memory name, address a) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,address)", name, a));
        ok;
    }
}
