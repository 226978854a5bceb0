// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IComputeRegistry} from "./interfaces/IComputeRegistry.sol";
import {IComputeStaking} from "./interfaces/IComputeStaking.sol";

/// @title ComputeRegistry: provider identities, prices, availability and attester-recorded attestations.
/// @notice Semantics: specs/compute/PROTOCOL.md section 3.
///  - One provider per address, ids from 1, no deregistration and no transfer (R-3.1, R-3.4).
///  - The registration stake is the provider stake in ComputeStaking: msg.value is forwarded there and the
///    resulting stake must be at least 0.1 ETH (R-3.1).
///  - Available = active flag and provider stake >= minimum, read at use time (R-3.3).
///  - No TEE quote is verified on chain. An appointed attester records the hash of the attestation bytes
///    it checked off chain; the record counts while the hash matches the current bytes, it has not expired
///    and its attester is still appointed (R-3.6).
///  - ERC-8004: a provider may link an agent id of an immutable ERC-721 identity registry it owns at link
///    time (R-3.7). Reputation and validation registries are not implemented.
contract ComputeRegistry is IComputeRegistry, Ownable2Step {
    enum TeeType { None, IntelSGX, IntelTDX, AmdSevSnp, NvidiaCC }

    struct Attestation {
        bytes32 attestationHash;
        TeeType teeType;
        address attester;
        uint64 attestedAt;
        uint64 expiresAt;
    }

    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    uint256 public constant MAX_ATTESTATION_LENGTH = 4096;
    uint256 public constant MAX_GPU_MODEL_LENGTH = 64;
    uint256 public constant MAX_GPU_COUNT = 1024;
    uint256 public constant MAX_PRICE_PER_HOUR = 1e24;
    uint256 public constant MAX_ATTESTATION_TTL = 30 days;

    mapping(uint256 => Provider) internal providers;
    mapping(address => uint256) public providerIdOf;
    uint256 public providerCount;
    mapping(uint256 => Attestation) internal attestations;
    mapping(uint256 => uint256) public agentIdOf;
    mapping(address => bool) public isAttester;

    IComputeStaking public immutable staking;
    address public immutable identityRegistry;

    event ProviderRegistered(uint256 indexed providerId, address indexed owner, string endpoint, uint256 pricePerHour, uint256 stakeAdded);
    event PricingUpdated(uint256 indexed providerId, uint256 oldPrice, uint256 newPrice);
    event ActiveSet(uint256 indexed providerId, bool active);
    event EndpointUpdated(uint256 indexed providerId, string endpoint);
    event AttestationUpdated(uint256 indexed providerId, bytes32 attestationHash);
    event HardwareSet(uint256 indexed providerId, uint256 gpuCount, string gpuModel);
    event AttesterSet(address indexed attester, bool enabled);
    event Attested(uint256 indexed providerId, address indexed attester, bytes32 attestationHash, TeeType teeType, uint64 expiresAt);
    event AttestationRevoked(uint256 indexed providerId, address indexed attester);
    event AgentLinked(uint256 indexed providerId, uint256 indexed agentId);

    error ZeroAddress();
    error RenounceDisabled();
    error AlreadyRegistered(address account);
    error NotProvider(address account);
    error UnknownProvider(uint256 providerId);
    error InvalidLength(uint256 length, uint256 minimum, uint256 maximum);
    error InvalidPrice(uint256 price);
    error InvalidGpuCount(uint256 gpuCount);
    error BelowMinStake(uint256 stake, uint256 minimum);
    error NotAttester(address caller);
    error AttestationMismatch(bytes32 given, bytes32 current);
    error InvalidTeeType();
    error InvalidExpiry(uint256 expiresAt);
    error IdentityRegistryUnset();
    error NotAgentOwner(uint256 agentId, address caller);

    /// @param identityRegistry_ an ERC-8004 identity registry (ERC-721), or address(0) to disable linkAgent.
    constructor(address owner_, IComputeStaking staking_, address identityRegistry_) Ownable(owner_) {
        if (address(staking_) == address(0)) revert ZeroAddress();
        staking = staking_;
        identityRegistry = identityRegistry_;
    }

    /// @notice Ownership cannot be renounced: appointing attesters is needed for liveness (R-1.8).
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @notice The caller owns a provider; the functions it guards change only the caller's own record.
    modifier onlyProvider() {
        if (providerIdOf[msg.sender] == 0) revert NotProvider(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- providers

    /// @notice Register the caller as a provider; msg.value is added to its provider stake (R-3.1).
    function register(string memory endpoint, string memory hardwareAttestation, uint256 pricePerHour)
        external
        payable
        returns (uint256 providerId)
    {
        if (providerIdOf[msg.sender] != 0) revert AlreadyRegistered(msg.sender);
        _checkLength(bytes(endpoint).length, 1, MAX_ENDPOINT_LENGTH);
        _checkLength(bytes(hardwareAttestation).length, 0, MAX_ATTESTATION_LENGTH);
        _checkPrice(pricePerHour);

        providerId = ++providerCount;
        providerIdOf[msg.sender] = providerId;
        providers[providerId] = Provider({
            owner: msg.sender,
            endpoint: endpoint,
            hardwareAttestation: hardwareAttestation,
            gpuCount: 0,
            gpuModel: "",
            pricePerHour: pricePerHour,
            active: true
        });
        emit ProviderRegistered(providerId, msg.sender, endpoint, pricePerHour, msg.value);

        if (msg.value > 0) {
            staking.stakeFor{value: msg.value}(msg.sender, IComputeStaking.StakeRole.Provider);
        }
        _checkProviderStake(msg.sender);
    }

    /// @notice Set the caller's price per hour; applies to sessions created afterwards (R-3.2).
    function updatePricing(uint256 pricePerHour) external onlyProvider {
        uint256 providerId = providerIdOf[msg.sender];
        _checkPrice(pricePerHour);
        Provider storage p = providers[providerId];
        uint256 oldPrice = p.pricePerHour;
        p.pricePerHour = pricePerHour;
        emit PricingUpdated(providerId, oldPrice, pricePerHour);
    }

    /// @notice The owner's switch; switching on needs the minimum provider stake (R-3.3).
    function setActive(bool active) external onlyProvider {
        uint256 providerId = providerIdOf[msg.sender];
        if (active) _checkProviderStake(msg.sender);
        providers[providerId].active = active;
        emit ActiveSet(providerId, active);
    }

    function updateEndpoint(string memory endpoint) external onlyProvider {
        uint256 providerId = providerIdOf[msg.sender];
        _checkLength(bytes(endpoint).length, 1, MAX_ENDPOINT_LENGTH);
        providers[providerId].endpoint = endpoint;
        emit EndpointUpdated(providerId, endpoint);
    }

    /// @notice Replace the published attestation; an attestation recorded for the old bytes stops
    ///         counting at once (R-3.6).
    function updateAttestation(string memory hardwareAttestation) external onlyProvider {
        uint256 providerId = providerIdOf[msg.sender];
        _checkLength(bytes(hardwareAttestation).length, 0, MAX_ATTESTATION_LENGTH);
        providers[providerId].hardwareAttestation = hardwareAttestation;
        emit AttestationUpdated(providerId, keccak256(bytes(hardwareAttestation)));
    }

    /// @notice Self-declared, unverified hardware (R-3.5).
    function setHardware(uint256 gpuCount, string memory gpuModel) external onlyProvider {
        uint256 providerId = providerIdOf[msg.sender];
        if (gpuCount > MAX_GPU_COUNT) revert InvalidGpuCount(gpuCount);
        _checkLength(bytes(gpuModel).length, 0, MAX_GPU_MODEL_LENGTH);
        Provider storage p = providers[providerId];
        p.gpuCount = gpuCount;
        p.gpuModel = gpuModel;
        emit HardwareSet(providerId, gpuCount, gpuModel);
    }

    /// @notice Link an ERC-8004 agent identity the caller owns now (R-3.7).
    function linkAgent(uint256 agentId) external onlyProvider {
        uint256 providerId = providerIdOf[msg.sender];
        if (identityRegistry == address(0)) revert IdentityRegistryUnset();
        if (IERC721(identityRegistry).ownerOf(agentId) != msg.sender) revert NotAgentOwner(agentId, msg.sender);
        agentIdOf[providerId] = agentId;
        emit AgentLinked(providerId, agentId);
    }

    // ---------------------------------------------------------------- attestation

    /// @notice Appoint or remove an attester. Removing one voids what it attested (R-3.6).
    function setAttester(address attester, bool enabled) external onlyOwner {
        if (attester == address(0)) revert ZeroAddress();
        isAttester[attester] = enabled;
        emit AttesterSet(attester, enabled);
    }

    /// @notice Record that the caller checked, off chain, the attestation whose hash is given (R-3.6).
    function attest(uint256 providerId, bytes32 attestationHash, TeeType teeType, uint64 expiresAt) external {
        if (!isAttester[msg.sender]) revert NotAttester(msg.sender);
        Provider storage p = _provider(providerId);
        bytes32 current = keccak256(bytes(p.hardwareAttestation));
        if (attestationHash != current) revert AttestationMismatch(attestationHash, current);
        if (teeType == TeeType.None) revert InvalidTeeType();
        if (expiresAt <= block.timestamp || expiresAt > block.timestamp + MAX_ATTESTATION_TTL) {
            revert InvalidExpiry(expiresAt);
        }
        attestations[providerId] = Attestation({
            attestationHash: attestationHash,
            teeType: teeType,
            attester: msg.sender,
            attestedAt: uint64(block.timestamp),
            expiresAt: expiresAt
        });
        emit Attested(providerId, msg.sender, attestationHash, teeType, expiresAt);
    }

    /// @notice Delete a provider's attestation record. Any attester.
    function revokeAttestation(uint256 providerId) external {
        if (!isAttester[msg.sender]) revert NotAttester(msg.sender);
        _provider(providerId);
        delete attestations[providerId];
        emit AttestationRevoked(providerId, msg.sender);
    }

    // ---------------------------------------------------------------- views

    function getProvider(uint256 providerId) external view returns (Provider memory) {
        return _provider(providerId);
    }

    function getProviderByAddress(address owner_) external view returns (Provider memory) {
        uint256 providerId = providerIdOf[owner_];
        if (providerId == 0) revert NotProvider(owner_);
        return providers[providerId];
    }

    /// @notice The owner of a provider, without copying its strings. Reverts UnknownProvider.
    function providerOwner(uint256 providerId) external view returns (address) {
        return _provider(providerId).owner;
    }

    /// @notice The current price of a provider. Reverts UnknownProvider.
    function pricePerHourOf(uint256 providerId) external view returns (uint256) {
        return _provider(providerId).pricePerHour;
    }

    /// @notice Exists, switched on, and staked at least the minimum (R-3.3). False for unknown ids.
    function isAvailable(uint256 providerId) public view returns (bool) {
        if (providerId == 0 || providerId > providerCount) return false;
        Provider storage p = providers[providerId];
        return p.active && staking.isStaked(p.owner, IComputeStaking.StakeRole.Provider);
    }

    /// @notice The attestation counts (R-3.6). False for unknown ids.
    function isAttested(uint256 providerId) external view returns (bool) {
        if (providerId == 0 || providerId > providerCount) return false;
        Attestation storage a = attestations[providerId];
        return a.attester != address(0) && isAttester[a.attester] && block.timestamp < a.expiresAt
            && a.attestationHash == keccak256(bytes(providers[providerId].hardwareAttestation));
    }

    function attestationOf(uint256 providerId) external view returns (Attestation memory) {
        _provider(providerId);
        return attestations[providerId];
    }

    // ---------------------------------------------------------------- internal

    function _provider(uint256 providerId) internal view returns (Provider storage) {
        if (providerId == 0 || providerId > providerCount) revert UnknownProvider(providerId);
        return providers[providerId];
    }

    /// @dev The minimum is ComputeStaking's, so the two contracts cannot disagree on it.
    function _checkProviderStake(address account) internal view {
        if (!staking.isStaked(account, IComputeStaking.StakeRole.Provider)) {
            revert BelowMinStake(
                staking.stakeOf(account, IComputeStaking.StakeRole.Provider),
                staking.minimumStake(IComputeStaking.StakeRole.Provider)
            );
        }
    }

    function _checkPrice(uint256 price) internal pure {
        if (price == 0 || price > MAX_PRICE_PER_HOUR) revert InvalidPrice(price);
    }

    function _checkLength(uint256 length, uint256 minimum, uint256 maximum) internal pure {
        if (length < minimum || length > maximum) revert InvalidLength(length, minimum, maximum);
    }
}
