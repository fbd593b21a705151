#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Lets monitoring hosts query this machine's Windows Time service (W32Time) over NTP.
.DESCRIPTION
    Windows member servers and workstations do not answer NTP until the W32Time NtpServer
    provider is enabled; domain controllers answer already. This script sets
    HKLM:\SYSTEM\CurrentControlSet\Services\W32Time\TimeProviders\NtpServer\Enabled = 1,
    sets the W32Time service to start automatically, starts it, restarts it when the setting
    changed, and allows inbound UDP 123 from the given monitoring hosts only. It then prints
    the effective state and the check_w32time command line for the monitoring host.
    It is idempotent: a second run changes nothing. -WhatIf shows what would change.
.PARAMETER MonitoringHost
    IPv4/IPv6 addresses, subnets (192.0.2.0/24 or 192.0.2.0/255.255.255.0) or ranges
    (192.0.2.10-192.0.2.20) allowed to query UDP 123. Host names, 'Any' and 0.0.0.0/0 are refused.
.PARAMETER RuleName
    Display name of the inbound firewall rule to create, update or remove.
.PARAMETER Disable
    Undo: set NtpServer Enabled = 0 (not on a domain controller) and remove the firewall rule.
    The service's startup type is left as it is.
.PARAMETER SkipRestart
    Do not restart W32Time after changing the NtpServer setting (the change then waits for
    the next restart of the service).
.EXAMPLE
    .\Enable-W32TimeNtpServer.ps1 -MonitoringHost 192.0.2.10, 2001:db8::10 -Verbose
.EXAMPLE
    .\Enable-W32TimeNtpServer.ps1 -MonitoringHost 192.0.2.0/28 -WhatIf
.EXAMPLE
    .\Enable-W32TimeNtpServer.ps1 -Disable
.NOTES
    Part of timesync-monitor (contrib/windows). Windows PowerShell 5.1 or PowerShell 7, run
    as Administrator; uses only built-in cmdlets (NetSecurity, CIM) and w32tm.exe.
    A GPO "Enable Windows NTP Server" overrides the local setting; so does a firewall GPO
    that ignores local rules. Both are reported as warnings.
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Enable')]
param(
    [Parameter(Mandatory, ParameterSetName = 'Enable')]
    [ValidateNotNullOrEmpty()]
    [string[]]$MonitoringHost,

    [ValidatePattern('^[^*?\[\]]+$')]
    [string]$RuleName = 'timesync-monitor NTP (UDP 123)',

    [Parameter(Mandatory, ParameterSetName = 'Disable')]
    [switch]$Disable,

    [switch]$SkipRestart
)

$ntpServerKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\W32Time\TimeProviders\NtpServer'
$policyKey = 'HKLM:\SOFTWARE\Policies\Microsoft\W32Time\TimeProviders\NtpServer'

function ConvertTo-IPAddress([string]$Text) {
    $ip = $null
    if (($Text -match '^\d{1,3}(\.\d{1,3}){3}$' -or $Text -match ':') -and [ipaddress]::TryParse($Text, [ref]$ip)) { return $ip }
    throw "'$Text' is not an IPv4 or IPv6 address (the firewall takes no host names: resolve them first)."
}

# One canonical spelling per entry, so that what the firewall reports back
# (192.0.2.0/255.255.255.0) compares equal to what was asked for (192.0.2.0/24).
function ConvertTo-CanonicalAddress([string]$Entry) {
    $e = $Entry.Trim()
    if ($e -in 'Any', '*', '') { throw "'$Entry' would let every host query NTP; name the monitoring hosts." }
    $range = $e -split '-'
    if ($range.Count -eq 2) { return '{0}-{1}' -f (ConvertTo-IPAddress $range[0]), (ConvertTo-IPAddress $range[1]) }
    $parts = $e -split '/'
    if ($parts.Count -gt 2) { throw "'$Entry' is not an address, subnet or range." }
    $ip = ConvertTo-IPAddress $parts[0]
    $max = if ($ip.AddressFamily -eq [Net.Sockets.AddressFamily]::InterNetworkV6) { 128 } else { 32 }
    $len = $max
    if ($parts.Count -eq 2) {
        if ($parts[1] -match '^\d{1,3}$') { $len = [int]$parts[1] }
        else { $len = 0; foreach ($b in (ConvertTo-IPAddress $parts[1]).GetAddressBytes()) { $len += ([Convert]::ToString($b, 2) -replace '0').Length } }
    }
    if ($len -gt $max) { throw "'$Entry' has an invalid prefix length." }
    if ($len -eq 0) { throw "'$Entry' would let every host query NTP; name the monitoring hosts." }
    if ($len -eq $max) { return $ip.ToString() }
    $bytes = $ip.GetAddressBytes()
    for ($i = 0; $i -lt $bytes.Length; $i++) {
        $keep = [Math]::Max(0, [Math]::Min(8, $len - 8 * $i))
        $bytes[$i] = $bytes[$i] -band ((0xFF -shl (8 - $keep)) -band 0xFF)
    }
    return '{0}/{1}' -f ([ipaddress]::new($bytes)), $len
}

function Get-RegistryValue([string]$Path, [string]$Name) {
    $item = Get-ItemProperty -Path $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -ne $item) { return $item.$Name }
}

# w32tm writes errors to stdout or stderr depending on the build; collect both as text and
# never let them become terminating errors (2>&1 does that in 5.1 under -ErrorAction Stop).
function Invoke-W32tm([string[]]$Arguments) {
    $ErrorActionPreference = 'Continue'
    $lines = @(& "$env:SystemRoot\System32\w32tm.exe" @Arguments 2>&1 | ForEach-Object { "$_" })
    if ($LASTEXITCODE -ne 0) { Write-Verbose "w32tm $Arguments failed ($LASTEXITCODE): $($lines -join ' ')"; return }
    $lines
}

# "Enabled" of the NtpServer provider as the running service reports it, e.g. "1 (Local)".
function Get-EffectiveNtpServer {
    $inSection = $false
    foreach ($line in @(Invoke-W32tm '/query', '/configuration')) {
        if ($line -match '^\s*NtpServer\b' -and $line -notmatch ':') { $inSection = $true; continue }
        if (-not $inSection) { continue }
        if ($line -match '^\s*Enabled:\s*(.+?)\s*$') { return $Matches[1] }
        if ($line -match '\S' -and $line -notmatch ':') { return }   # next provider's section
    }
}

$desired = if ($Disable) { 0 } else { 1 }
$wanted = @()
if (-not $Disable) {
    $wanted = @($MonitoringHost | ForEach-Object { $_ -split ',' } | Where-Object { $_.Trim() } |
            ForEach-Object { ConvertTo-CanonicalAddress $_ } | Sort-Object -Unique)
    if (-not $wanted.Count) { throw 'Give at least one monitoring host address with -MonitoringHost.' }
}

$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$isDC = $cs.DomainRole -ge 4
$hostName = if ($cs.PartOfDomain) { "$($cs.DNSHostName).$($cs.Domain)".ToLower() } else { "$($cs.DNSHostName)".ToLower() }
if ($isDC) {
    Write-Warning ("$hostName is a domain controller: it answers NTP already, and its built-in rule " +
        "'Active Directory Domain Controller - W32Time (NTP-UDP-In)' allows UDP 123. Continuing anyway.")
}
if ($isDC -and $Disable) { Write-Warning 'Leaving NtpServer enabled: domain members take their time from it. Only the firewall rule is removed.' }

$policy = Get-RegistryValue $policyKey 'Enabled'
if ($null -ne $policy -and $policy -ne $desired) {
    Write-Warning ("Group Policy 'Enable Windows NTP Server' sets Enabled=$policy ($policyKey) and overrides the local " +
        'setting: change the GPO (Computer Configuration > Administrative Templates > System > Windows Time Service > Time Providers).')
}

# 1. Registry
$changed = $false
if (-not ($isDC -and $Disable)) {
    $current = Get-RegistryValue $ntpServerKey 'Enabled'
    if ($current -ne $desired) {
        if ($PSCmdlet.ShouldProcess("$ntpServerKey\Enabled", "Set DWORD to $desired (is '$current')")) {
            if (-not (Test-Path $ntpServerKey)) { New-Item -Path $ntpServerKey -Force | Out-Null }
            New-ItemProperty -Path $ntpServerKey -Name Enabled -PropertyType DWord -Value $desired -Force -ErrorAction Stop | Out-Null
            $changed = $true
        }
    } else { Write-Verbose "NtpServer Enabled is already $desired." }
}

# 2. Service: Win32_Service, because ServiceController.StartType needs .NET 4.6.1
$svc = Get-CimInstance -ClassName Win32_Service -Filter "Name='W32Time'"
if (-not $svc) { throw "The Windows Time service is not registered. Run 'w32tm /register', then this script again." }
$wasRunning = $svc.State -eq 'Running'
if (-not $Disable) {
    if ($svc.StartMode -ne 'Auto' -and $PSCmdlet.ShouldProcess('W32Time', "Set startup type to Automatic (is $($svc.StartMode))")) {
        Set-Service -Name W32Time -StartupType Automatic -ErrorAction Stop
    }
    if (-not $wasRunning -and $PSCmdlet.ShouldProcess('W32Time', 'Start service')) { Start-Service -Name W32Time -ErrorAction Stop }
    if (-not $cs.PartOfDomain -and (Test-Path 'HKLM:\SYSTEM\CurrentControlSet\Services\W32Time\TriggerInfo')) {
        Write-Warning ('W32Time is trigger-started: on a workgroup machine it may stop after boot even when set to Automatic ' +
            '(KB 2385818). If check_w32time times out after a reboot, consider removing its triggers: sc.exe triggerinfo w32time delete')
    }
}
$effective = Get-EffectiveNtpServer
# Restart also when the service still runs with an older setting (registry set earlier, never restarted).
$stale = $wasRunning -and -not ($isDC -and $Disable) -and ($null -eq $policy -or $policy -eq $desired) -and
    ("$effective" -match '^(\d+)') -and ([int]$Matches[1] -ne $desired)
if ($wasRunning -and ($changed -or $stale)) {
    if ($SkipRestart) { Write-Warning "NtpServer change not active yet: run 'Restart-Service w32time'." }
    elseif ($PSCmdlet.ShouldProcess('W32Time', 'Restart service to apply NtpServer setting')) {
        try { Restart-Service -Name W32Time -ErrorAction Stop } catch { Write-Error "Restart-Service w32time failed: $_" }
    }
}

# 3. Firewall
try {
    $ignored = @(Get-NetFirewallProfile -PolicyStore ActiveStore -ErrorAction SilentlyContinue | Where-Object { "$($_.AllowLocalFirewallRules)" -eq 'False' })
    if ($ignored.Count -and -not $Disable) {
        Write-Warning ("Group Policy makes the firewall ignore local rules on profile(s) $($ignored.Name -join ', '): " +
            'add the UDP 123 rule to that firewall GPO instead.')
    }
    $rules = @(Get-NetFirewallRule -DisplayName $RuleName -ErrorAction SilentlyContinue)
    if ($Disable) {
        if ($rules.Count -and $PSCmdlet.ShouldProcess($RuleName, 'Remove firewall rule')) { Remove-NetFirewallRule -DisplayName $RuleName -ErrorAction Stop }
    } elseif (-not $rules.Count) {
        if ($PSCmdlet.ShouldProcess($RuleName, "Create inbound rule UDP 123 from $($wanted -join ', ')")) {
            New-NetFirewallRule -DisplayName $RuleName -Description 'Lets timesync-monitor (check_w32time) query W32Time over NTP.' `
                -Direction Inbound -Protocol UDP -LocalPort 123 -RemoteAddress $wanted -Profile Any -Action Allow -ErrorAction Stop | Out-Null
        }
    } else {
        $drift = $false
        foreach ($r in $rules) {
            $port = $r | Get-NetFirewallPortFilter
            $have = @(@(($r | Get-NetFirewallAddressFilter).RemoteAddress) |
                    ForEach-Object { $a = $_; try { ConvertTo-CanonicalAddress $a } catch { $a } } | Sort-Object -Unique)
            if ("$($r.Enabled)" -ne 'True' -or "$($r.Direction)" -ne 'Inbound' -or "$($r.Action)" -ne 'Allow' -or "$($r.Profile)" -ne 'Any' -or
                "$($port.Protocol)" -ne 'UDP' -or (@($port.LocalPort) -join ',') -ne '123' -or ($have -join ',') -ne ($wanted -join ',')) { $drift = $true }
        }
        if (-not $drift) { Write-Verbose "Firewall rule '$RuleName' is already as wanted." }
        elseif ($PSCmdlet.ShouldProcess($RuleName, "Update inbound rule: UDP 123 from $($wanted -join ', ')")) {
            Set-NetFirewallRule -DisplayName $RuleName -Enabled True -Direction Inbound -Protocol UDP -LocalPort 123 `
                -RemoteAddress $wanted -Profile Any -Action Allow -ErrorAction Stop
        }
    }
} catch {
    $manual = if ($Disable) { "Remove-NetFirewallRule -DisplayName '$RuleName'" }
    else { "New-NetFirewallRule -DisplayName '$RuleName' -Direction Inbound -Protocol UDP -LocalPort 123 -RemoteAddress $($wanted -join ',') -Profile Any -Action Allow" }
    Write-Error ("Firewall rule '$RuleName' could not be changed: $_`nIs the firewall service (mpssvc) running? If a GPO or another " +
        "firewall product manages the rules, allow UDP 123 from the monitoring hosts there. Manual equivalent:`n  $manual")
}

# 4. Effective state and the check command for the monitoring host
$status = @(Invoke-W32tm '/query', '/status' | Where-Object { $_ -match '^\s*(Leap Indicator|Stratum|Source):' } | ForEach-Object { $_.Trim() })
$peers = @(Invoke-W32tm '/query', '/peers' | ForEach-Object { if ($_ -match '^\s*Peer:\s*(\S+)') { $Matches[1] } })
if (-not $peers.Count) {
    $type = Get-RegistryValue 'HKLM:\SOFTWARE\Policies\Microsoft\W32Time\Parameters' 'Type'
    $list = Get-RegistryValue 'HKLM:\SOFTWARE\Policies\Microsoft\W32Time\Parameters' 'NtpServer'
    if ($null -eq $type) { $type = Get-RegistryValue 'HKLM:\SYSTEM\CurrentControlSet\Services\W32Time\Parameters' 'Type' }
    if ($null -eq $list) { $list = Get-RegistryValue 'HKLM:\SYSTEM\CurrentControlSet\Services\W32Time\Parameters' 'NtpServer' }
    if ($type -in 'NTP', 'AllSync') { $peers = @("$list" -split '\s+' | Where-Object { $_ }) }
}
$peers = @($peers | ForEach-Object { $_ -replace ',0x[0-9A-Fa-f]+$', '' } | Where-Object { $_ } | Select-Object -Unique)
$expect = if ($peers.Count) { $peers -join ',' } else { '<its domain controller or NTP server>' }
$ruleNow = @(Get-NetFirewallRule -DisplayName $RuleName -ErrorAction SilentlyContinue)
$addresses = if ($ruleNow.Count) { @($ruleNow | Get-NetFirewallAddressFilter | ForEach-Object { $_.RemoteAddress }) -join ', ' } else { '(no such rule)' }
if (-not $status.Count) { $status = @("unavailable: run 'w32tm /query /status' (service stopped, just restarted, or output not in English)") }

[pscustomobject]@{
    ComputerName      = $hostName
    DomainController  = $isDC
    NtpServerRegistry = Get-RegistryValue $ntpServerKey 'Enabled'
    NtpServerPolicy   = $policy
    NtpServerEnabled  = Get-EffectiveNtpServer
    Service           = (Get-CimInstance -ClassName Win32_Service -Filter "Name='W32Time'" | ForEach-Object { "$($_.State), start $($_.StartMode)" })
    Status            = $status -join '; '
    FirewallRule      = $RuleName
    RemoteAddress     = $addresses
    CheckCommand      = if ($Disable) { $null } else { "check_w32time -H $hostName --expect-source $expect" }
}
