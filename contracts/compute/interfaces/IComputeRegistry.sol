// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IComputeRegistry, exactly as in the compute marketplace seed.
interface IComputeRegistry {
    struct Provider {
        address owner;
        string endpoint;
        string hardwareAttestation;
        uint256 gpuCount;
        string gpuModel;
        uint256 pricePerHour;
        bool active;
    }

    function register(
        string memory endpoint,
        string memory hardwareAttestation,
        uint256 pricePerHour
    ) external payable returns (uint256 providerId);

    function updatePricing(uint256 pricePerHour) external;
    function setActive(bool active) external;
    function getProvider(uint256 providerId) external view returns (Provider memory);
    function getProviderByAddress(address owner) external view returns (Provider memory);
}
