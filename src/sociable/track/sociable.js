(function(){
"use strict";
var D=document,W=window,DAYS=__DAYS__,N="_sc_cids",RE=/^[A-Za-z0-9_-]{8,32}$/;
var me=D.currentScript||(function(){var s=D.getElementsByTagName("script");return s[s.length-1];})();
var base=me.src.replace(/\/s\.js(\?.*)?$/,"");
function get(){var m=D.cookie.match(/(?:^|;\s*)_sc_cids=([^;]*)/);
 return m?decodeURIComponent(m[1]).split(",").filter(function(x){return RE.test(x);}):[];}
function put(ids){D.cookie=N+"="+encodeURIComponent(ids.join(","))+";path=/;max-age="+DAYS*86400+
 ";SameSite=Lax"+(location.protocol==="https:"?";Secure":"");}
try{var cid=new URLSearchParams(location.search).get("sc_cid");
 if(cid&&RE.test(cid)){var ids=get().filter(function(x){return x!==cid;});ids.push(cid);put(ids.slice(-5));}}catch(e){}
function conversion(order,value,currency){
 if(!order)return;var q="o="+encodeURIComponent(order)+"&v="+encodeURIComponent(value?(+value).toFixed(4):0)+
 (currency?"&cur="+encodeURIComponent(currency):"")+"&ids="+encodeURIComponent(get().join(","));
 var img=new Image(1,1);img.src=base+"/p.gif?"+q;}
W.sociable={conversion:conversion,clickIds:get};
var o=me.getAttribute("data-order-id");
if(o){conversion(o,me.getAttribute("data-value"),me.getAttribute("data-currency"));}
})();
