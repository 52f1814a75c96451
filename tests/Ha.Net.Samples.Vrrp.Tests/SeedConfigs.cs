namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>The keepalived.conf files of shared/seeds, verbatim (seed 000 keeps its one-line layout), so the tests do not depend on that folder.</summary>
internal static class SeedConfigs
{
    public const string Seed000Dc1 = """
########################################################## # GLOBAL SETTINGS ########################################################## global_defs { notification_email { support@example.com #Set from Ansible haproxy deployment } notification_email_from keepalive@dc1server.home.local smtp_server 172.31.101.115 # ip address for smtp_relay smtp_connect_timeout 20 } vrrp_script chk_haproxy { script "systemctl status haproxy" #verify the pid existance interval 2 #check every 2 seconds weight 2 #add 2 points of prio if OK } vrrp_instance dc1server state MASTER interface eth0 virtual_router_id 50 priority 101 advert_int 1 track_interface { eth0 } track_script { chk_haproxy weight 20 } authentication { auth_type PASS auth_pass SOMEPASSWORD! } virtual_ipaddress { 10.0.10.3 dev eth0 } }
""";

    public const string Seed000Dc2 = """
########################################################## # GLOBAL SETTINGS ########################################################## global_defs { notification_email { support@example.com #Set from Ansible haproxy deployment } notification_email_from keepalive@dc2server.home.local smtp_server 172.31.101.115 # ip address for robot smtp_connect_timeout 20 } vrrp_script chk_haproxy { script "systemctl status haproxy" #verify the pid existence interval 2 #check every 2 seconds weight 2 #add 2 points of prio if OK } vrrp_instance dc2server state MASTER interface eth0 virtual_router_id 50 priority 101 advert_int 1 track_interface { eth0 } track_script { chk_haproxy weight 20 } authentication { auth_type PASS auth_pass SOMEPASS } virtual_ipaddress { 10.0.20.3 dev eth0 } }
""";

    public const string Seed002 = """
global_defs {
  notification_email {
    administrator@digitalbrain.com.au
  }
  notification_email_from lab-hap01@digitalbrain.com.au
  smtp_server 10.30.1.11
  smtp_connect_timeout 30
}

vrrp_script check_haproxy {
  script "killall -0 haproxy"
  interval 2
  weight 2
}

vrrp_instance VI_1 {
  interface ens160
  state MASTER
  virtual_router_id 10
  priority 101
  virtual_ipaddress {
    10.30.1.15
  }
  track_script {
    check_haproxy
  }
  smtp_alert
}
""";

    public const string Seed003Host1 = """
vrrp_script chk_haproxy {
   script "pkill -0 haproxy"     # verify the pid existance
   interval 2                    # check every 2 seconds
   weight 2                      # add 2 points of prio if OK
}
 
vrrp_instance VI_1 {
   interface eth0                # interface to monitor
   state MASTER
   virtual_router_id 51          # Assign one ID for this route
   priority 101                  # 101 on master, 100 on backup
   virtual_ipaddress {
       10.224.147.208            # the virtual IP
   }
   track_script {
       chk_haproxy
   }
}
""";

    public const string Seed003Host2 = """
vrrp_script chk_haproxy {
   script "pkill -0 haproxy"     # verify the pid existance
   interval 2                    # check every 2 seconds
   weight 2                      # add 2 points of prio if OK
}
 
vrrp_instance VI_1 {
   interface eth0                # interface to monitor
   state MASTER                  # both master and backup are set as MASTER
   virtual_router_id 51          # Assign one ID for this route
   priority 100                  # 101 on master, 100 on backup
   virtual_ipaddress {
       10.224.147.208            # the virtual IP
   }
   track_script {
       chk_haproxy
   }
}
""";

    public const string Seed004Master = """
! Configuration File for keepalived

global_defs {
   notification_email {
     admin@example.com
   }
   notification_email_from keepalived@example.com
   smtp_server 10.1.1.100
   smtp_connect_timeout 30
   router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 101
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.1.1.30
    }
}
""";

    public const string Seed004Backup = """
! Configuration File for keepalived

global_defs {
   notification_email {
     admin@example.com
   }
   notification_email_from keepalived@example.com
   smtp_server 10.1.1.100
   smtp_connect_timeout 30
   router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.1.1.30
    }
}
""";

    public static readonly Dictionary<string, string> All = new()
    {
        ["Seed000Dc1"] = Seed000Dc1,
        ["Seed000Dc2"] = Seed000Dc2,
        ["Seed002"] = Seed002,
        ["Seed003Host1"] = Seed003Host1,
        ["Seed003Host2"] = Seed003Host2,
        ["Seed004Master"] = Seed004Master,
        ["Seed004Backup"] = Seed004Backup,
    };
}
